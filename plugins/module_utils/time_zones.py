# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time zone names: the Windows time zone IDs Graph takes (``attendeeNotificationInfo.timeZone``: "any of the time
zones currently supported by Windows") and the IANA names translated to them (CLDR's windowsZones mapping).  Data
only; the time zone rule that uses it is ``validate.windows_time_zone``."""

from __future__ import annotations

# Every Windows time zone ID (the registry keys TimeZoneInfo.FindSystemTimeZoneById accepts), east of the date line
# last, with the IANA names translated to it: every United States zone (the SMS reach US numbers only) and the main
# zone of each Windows zone elsewhere, with common older spellings; space-separated, none for a legacy Windows zone.
_IANA_BY_WINDOWS = {
    "Dateline Standard Time": "Etc/GMT+12",
    "UTC-11": "Etc/GMT+11 Pacific/Pago_Pago Pacific/Midway Pacific/Niue US/Samoa",
    "Aleutian Standard Time": "America/Adak US/Aleutian",
    "Hawaiian Standard Time": "Pacific/Honolulu Pacific/Johnston US/Hawaii",
    "Marquesas Standard Time": "Pacific/Marquesas",
    "Alaskan Standard Time": "America/Anchorage America/Juneau America/Metlakatla America/Nome America/Sitka "
                             "America/Yakutat US/Alaska",
    "UTC-09": "Etc/GMT+9 Pacific/Gambier",
    "Pacific Standard Time (Mexico)": "America/Tijuana America/Santa_Isabel",
    "UTC-08": "Etc/GMT+8 Pacific/Pitcairn",
    "Pacific Standard Time": "America/Los_Angeles America/Vancouver US/Pacific PST8PDT",
    "US Mountain Standard Time": "America/Phoenix America/Creston America/Hermosillo US/Arizona MST",
    "Mountain Standard Time (Mexico)": "America/Mazatlan",
    "Mountain Standard Time": "America/Denver America/Boise America/Edmonton America/Shiprock US/Mountain MST7MDT",
    "Yukon Standard Time": "America/Whitehorse America/Dawson",
    "Central America Standard Time": "America/Guatemala America/Costa_Rica America/El_Salvador "
                                     "America/Tegucigalpa America/Managua America/Belize",
    "Central Standard Time": "America/Chicago America/Indiana/Knox America/Indiana/Tell_City America/Knox_IN "
                             "America/Menominee America/North_Dakota/Beulah America/North_Dakota/Center "
                             "America/North_Dakota/New_Salem America/Winnipeg US/Central US/Indiana-Starke CST6CDT",
    "Easter Island Standard Time": "Pacific/Easter",
    "Central Standard Time (Mexico)": "America/Mexico_City America/Monterrey America/Merida",
    "Canada Central Standard Time": "America/Regina",
    "SA Pacific Standard Time": "America/Bogota America/Lima America/Panama America/Jamaica",
    "Eastern Standard Time (Mexico)": "America/Cancun",
    "Eastern Standard Time": "America/New_York America/Detroit America/Indiana/Petersburg "
                             "America/Indiana/Vincennes America/Indiana/Winamac America/Kentucky/Louisville "
                             "America/Kentucky/Monticello America/Louisville America/Fort_Wayne America/Toronto "
                             "America/Nassau US/Eastern US/Michigan EST5EDT",
    "Haiti Standard Time": "America/Port-au-Prince",
    "Cuba Standard Time": "America/Havana",
    "US Eastern Standard Time": "America/Indiana/Indianapolis America/Indianapolis America/Indiana/Marengo "
                                "America/Indiana/Vevay US/East-Indiana",
    "Turks And Caicos Standard Time": "America/Grand_Turk",
    "Paraguay Standard Time": "America/Asuncion",
    "Atlantic Standard Time": "America/Halifax Atlantic/Bermuda",
    "Venezuela Standard Time": "America/Caracas",
    "Central Brazilian Standard Time": "America/Cuiaba",
    "SA Western Standard Time": "America/La_Paz America/Puerto_Rico America/St_Thomas America/Virgin "
                                "America/Santo_Domingo",
    "Pacific SA Standard Time": "America/Santiago",
    "Newfoundland Standard Time": "America/St_Johns",
    "Tocantins Standard Time": "America/Araguaina",
    "E. South America Standard Time": "America/Sao_Paulo",
    "SA Eastern Standard Time": "America/Cayenne",
    "Argentina Standard Time": "America/Argentina/Buenos_Aires America/Buenos_Aires",
    "Greenland Standard Time": "America/Nuuk America/Godthab",
    "Montevideo Standard Time": "America/Montevideo",
    "Magallanes Standard Time": "America/Punta_Arenas",
    "Saint Pierre Standard Time": "America/Miquelon",
    "Bahia Standard Time": "America/Bahia",
    "UTC-02": "Etc/GMT+2 America/Noronha",
    "Mid-Atlantic Standard Time": "",
    "Azores Standard Time": "Atlantic/Azores",
    "Cape Verde Standard Time": "Atlantic/Cape_Verde",
    "UTC": "Etc/UTC Etc/GMT UTC GMT Etc/Universal Etc/Zulu",
    "GMT Standard Time": "Europe/London Europe/Dublin Europe/Lisbon",
    "Greenwich Standard Time": "Atlantic/Reykjavik Africa/Abidjan",
    "Sao Tome Standard Time": "Africa/Sao_Tome",
    "Morocco Standard Time": "Africa/Casablanca",
    "W. Europe Standard Time": "Europe/Berlin Europe/Amsterdam Europe/Rome Europe/Vienna Europe/Zurich "
                               "Europe/Stockholm Europe/Oslo",
    "Central Europe Standard Time": "Europe/Budapest Europe/Prague",
    "Romance Standard Time": "Europe/Paris Europe/Madrid Europe/Brussels Europe/Copenhagen",
    "Central European Standard Time": "Europe/Warsaw",
    "W. Central Africa Standard Time": "Africa/Lagos",
    "Jordan Standard Time": "Asia/Amman",
    "GTB Standard Time": "Europe/Bucharest Europe/Athens",
    "Middle East Standard Time": "Asia/Beirut",
    "Egypt Standard Time": "Africa/Cairo",
    "E. Europe Standard Time": "Europe/Chisinau",
    "Syria Standard Time": "Asia/Damascus",
    "West Bank Standard Time": "Asia/Hebron",
    "South Africa Standard Time": "Africa/Johannesburg",
    "FLE Standard Time": "Europe/Kyiv Europe/Kiev Europe/Helsinki",
    "Israel Standard Time": "Asia/Jerusalem",
    "South Sudan Standard Time": "Africa/Juba",
    "Kaliningrad Standard Time": "Europe/Kaliningrad",
    "Sudan Standard Time": "Africa/Khartoum",
    "Libya Standard Time": "Africa/Tripoli",
    "Namibia Standard Time": "Africa/Windhoek",
    "Arabic Standard Time": "Asia/Baghdad",
    "Turkey Standard Time": "Europe/Istanbul",
    "Arab Standard Time": "Asia/Riyadh",
    "Belarus Standard Time": "Europe/Minsk",
    "Russian Standard Time": "Europe/Moscow",
    "E. Africa Standard Time": "Africa/Nairobi",
    "Volgograd Standard Time": "Europe/Volgograd",
    "Iran Standard Time": "Asia/Tehran",
    "Arabian Standard Time": "Asia/Dubai",
    "Astrakhan Standard Time": "Europe/Astrakhan",
    "Azerbaijan Standard Time": "Asia/Baku",
    "Russia Time Zone 3": "Europe/Samara",
    "Mauritius Standard Time": "Indian/Mauritius",
    "Saratov Standard Time": "Europe/Saratov",
    "Georgian Standard Time": "Asia/Tbilisi",
    "Caucasus Standard Time": "Asia/Yerevan",
    "Afghanistan Standard Time": "Asia/Kabul",
    "West Asia Standard Time": "Asia/Tashkent",
    "Qyzylorda Standard Time": "Asia/Qyzylorda",
    "Ekaterinburg Standard Time": "Asia/Yekaterinburg",
    "Pakistan Standard Time": "Asia/Karachi",
    "India Standard Time": "Asia/Kolkata Asia/Calcutta",
    "Sri Lanka Standard Time": "Asia/Colombo",
    "Nepal Standard Time": "Asia/Kathmandu Asia/Katmandu",
    "Central Asia Standard Time": "Asia/Bishkek",
    "Bangladesh Standard Time": "Asia/Dhaka",
    "Omsk Standard Time": "Asia/Omsk",
    "Myanmar Standard Time": "Asia/Yangon Asia/Rangoon",
    "SE Asia Standard Time": "Asia/Bangkok Asia/Jakarta Asia/Ho_Chi_Minh",
    "Altai Standard Time": "Asia/Barnaul",
    "W. Mongolia Standard Time": "Asia/Hovd",
    "North Asia Standard Time": "Asia/Krasnoyarsk",
    "N. Central Asia Standard Time": "Asia/Novosibirsk",
    "Tomsk Standard Time": "Asia/Tomsk",
    "China Standard Time": "Asia/Shanghai Asia/Hong_Kong",
    "North Asia East Standard Time": "Asia/Irkutsk",
    "Singapore Standard Time": "Asia/Singapore Asia/Manila Asia/Kuala_Lumpur",
    "W. Australia Standard Time": "Australia/Perth",
    "Taipei Standard Time": "Asia/Taipei",
    "Ulaanbaatar Standard Time": "Asia/Ulaanbaatar",
    "Aus Central W. Standard Time": "Australia/Eucla",
    "Transbaikal Standard Time": "Asia/Chita",
    "Tokyo Standard Time": "Asia/Tokyo",
    "North Korea Standard Time": "Asia/Pyongyang",
    "Korea Standard Time": "Asia/Seoul",
    "Yakutsk Standard Time": "Asia/Yakutsk",
    "Cen. Australia Standard Time": "Australia/Adelaide",
    "AUS Central Standard Time": "Australia/Darwin",
    "E. Australia Standard Time": "Australia/Brisbane",
    "AUS Eastern Standard Time": "Australia/Sydney Australia/Melbourne",
    "West Pacific Standard Time": "Pacific/Port_Moresby Pacific/Guam Pacific/Saipan",
    "Tasmania Standard Time": "Australia/Hobart",
    "Vladivostok Standard Time": "Asia/Vladivostok",
    "Lord Howe Standard Time": "Australia/Lord_Howe",
    "Bougainville Standard Time": "Pacific/Bougainville",
    "Russia Time Zone 10": "Asia/Srednekolymsk",
    "Magadan Standard Time": "Asia/Magadan",
    "Norfolk Standard Time": "Pacific/Norfolk",
    "Sakhalin Standard Time": "Asia/Sakhalin",
    "Central Pacific Standard Time": "Pacific/Guadalcanal",
    "Russia Time Zone 11": "Asia/Kamchatka",
    "New Zealand Standard Time": "Pacific/Auckland",
    "UTC+12": "Etc/GMT-12",
    "Fiji Standard Time": "Pacific/Fiji",
    "Kamchatka Standard Time": "",
    "Chatham Islands Standard Time": "Pacific/Chatham",
    "UTC+13": "Etc/GMT-13",
    "Tonga Standard Time": "Pacific/Tongatapu",
    "Samoa Standard Time": "Pacific/Apia",
    "Line Islands Standard Time": "Pacific/Kiritimati",
}
WINDOWS_TIME_ZONES = tuple(_IANA_BY_WINDOWS)
IANA_TO_WINDOWS = {iana: windows for windows, names in _IANA_BY_WINDOWS.items() for iana in names.split()}
# Case-folded Windows or IANA name -> Windows name (Windows matches IDs without regard to case; so do we for IANA).
_BY_FOLDED = {iana.casefold(): windows for iana, windows in IANA_TO_WINDOWS.items()}
_BY_FOLDED.update((name.casefold(), name) for name in WINDOWS_TIME_ZONES)


def windows_name(name):
    """The Windows time zone ID in its canonical spelling for a Windows ID or an IANA name of the table (any case,
    surrounding blanks ignored), or None."""
    return _BY_FOLDED.get(name.strip().casefold())


def iana_name(name):
    """An IANA zone name for a Windows ID of the table (its main IANA zone) or an IANA name (as given), or None when
    the Windows ID has no IANA zone here; the caller checks that the IANA name exists (zoneinfo)."""
    windows = _BY_FOLDED.get(name.strip().casefold())
    if windows is not None and windows.casefold() == name.strip().casefold():
        names = _IANA_BY_WINDOWS[windows].split()
        return names[0] if names else None
    return name.strip()
