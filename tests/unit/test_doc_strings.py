"""No documentation string holds a Jinja marker (``{{``, ``{%``, ``{#``) that Ansible could template.

Ansible templates a role's argument spec when the role's argument validation fails, and prints it: a lookup of the
client secret in one description printed the secret at default verbosity (issue 10).  So every string of every
role's ``meta/*.yml`` (descriptions, defaults, choices, anything), of every module's DOCUMENTATION and RETURN, of the
doc fragments and of the filter plugins' DOCUMENTATION and RETURN is checked.  EXAMPLES are exempt: they are
examples of playbooks, shown by ansible-doc as text and never templated.
"""

import ast
import glob
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARKERS = ("{{", "{%", "{#")
DOC_NAMES = ("DOCUMENTATION", "RETURN")


def jinja_in(document, where):
    """[(path, text)] of every string (keys too) in a loaded YAML ``document`` that holds a Jinja marker."""
    found = []
    if isinstance(document, str):
        if any(marker in document for marker in MARKERS):
            found.append((where, document))
    elif isinstance(document, dict):
        for key, value in document.items():
            found += jinja_in(key, "%s.<key %s>" % (where, key))
            found += jinja_in(value, "%s.%s" % (where, key))
    elif isinstance(document, (list, tuple)):
        for index, value in enumerate(document):
            found += jinja_in(value, "%s[%d]" % (where, index))
    return found


def python_doc_strings(path):
    """{NAME: text} of the module-level (or ModuleDocFragment class-level) string constants of a plugin file,
    without importing it: DOCUMENTATION and RETURN of a module, every upper-case constant of a doc fragment."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    fragment = os.path.basename(os.path.dirname(path)) == "doc_fragments"
    out = {}
    bodies = [tree.body] + [node.body for node in tree.body if isinstance(node, ast.ClassDef)]
    for body in bodies:
        for node in body:
            if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Constant) \
                    or not isinstance(node.value.value, str):
                continue
            for target in node.targets:
                if isinstance(target, ast.Name) and (target.id in DOC_NAMES or (fragment and target.id.isupper())):
                    out[target.id] = node.value.value
    return out


def doc_sources(root):
    """[(where, loaded YAML)] of every documentation string of the collection at ``root`` that Ansible could
    template or that ansible-doc renders (EXAMPLES excluded)."""
    sources = []
    for path in sorted(glob.glob(os.path.join(root, "roles", "*", "meta", "*.yml"))):
        with open(path, encoding="utf-8") as handle:
            sources.append((os.path.relpath(path, root), yaml.safe_load(handle)))
    kinds = ("modules", "doc_fragments", "filter", "action", "lookup", "inventory")
    patterns = [os.path.join(root, "plugins", kind, "*.py") for kind in kinds]
    for path in sorted(p for pattern in patterns for p in glob.glob(pattern)):
        for name, text in python_doc_strings(path).items():
            sources.append(("%s:%s" % (os.path.relpath(path, root), name), yaml.safe_load(text)))
    for path in sorted(glob.glob(os.path.join(root, "plugins", "*", "*.yml"))):
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle) or {}
        for name in DOC_NAMES:
            if name in document:
                sources.append(("%s:%s" % (os.path.relpath(path, root), name), document[name]))
    return sources


def collection_jinja(root):
    return [hit for where, document in doc_sources(root) for hit in jinja_in(document, where)]


def test_the_scan_sees_every_kind_of_doc_string():
    names = [where for where, dummy in doc_sources(ROOT)]
    assert "roles/virtual_appointments/meta/argument_specs.yml" in names
    assert "roles/virtual_appointments/meta/main.yml" in names
    for module in ("online_meeting", "sign_in", "virtual_appointment", "virtual_appointment_batch",
                   "virtual_appointment_info", "virtual_appointment_sms"):
        assert "plugins/modules/%s.py:DOCUMENTATION" % module in names
        assert "plugins/modules/%s.py:RETURN" % module in names
    assert "plugins/doc_fragments/graph.py:DOCUMENTATION" in names
    assert "plugins/filter/appointments_plan.yml:DOCUMENTATION" in names
    assert not any(where.endswith("EXAMPLES") for where in names)


def test_no_documentation_string_holds_a_template():
    found = collection_jinja(ROOT)
    assert not found, "Jinja markers in documentation strings (Ansible may template them):\n" + "\n".join(
        "%s: %r" % (where, text[:200]) for where, text in found)


# The description that printed the client secret (roles/virtual_appointments/meta/argument_specs.yml before
# commit 47d72eb), and the templated defaults removed with it.
LEAKING_SPEC = """
argument_specs:
  main:
    options:
      virtual_appointments_organizer:
        type: str
        default: "{{ inventory_hostname }}"
      virtual_appointments_connection:
        description:
          - Keep secrets out of inventory files -
            C("{{ lookup('ansible.builtin.env', 'CONTOSO_CLIENT_SECRET') }}") or Ansible Vault.
        type: dict
"""


@pytest.mark.parametrize("where, text", [
    ("roles/r/meta/argument_specs.yml", LEAKING_SPEC),
    ("plugins/modules/m.py", 'DOCUMENTATION = r"""\noptions:\n  x:\n    description: A {%% if x %%}y{%% endif %%}.\n'
                             '    type: str\n"""\nEXAMPLES = "{{ fine }}"\n'),
    ("plugins/modules/m.py", 'RETURN = r"""\nx:\n  description: X.\n  sample: "{# a comment #}"\n"""\n'),
    ("plugins/doc_fragments/f.py", 'class ModuleDocFragment:\n    EXTRA = r"""\noptions:\n  y:\n'
                                   '    description: "{{ y }}"\n"""\n'),
    ("plugins/filter/f.yml", 'DOCUMENTATION:\n  name: f\n  description: "{{ 1 }}"\nEXAMPLES: "{{ fine }}"\n'),
])
def test_a_planted_template_is_caught(tmp_path, where, text):
    path = tmp_path / where
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    found = collection_jinja(str(tmp_path))
    assert found, "the planted template in %s was not found" % where
    assert all("EXAMPLES" not in hit for hit, dummy in found)


def test_the_spec_before_the_fix_is_caught(tmp_path):
    path = tmp_path / "roles" / "virtual_appointments" / "meta" / "argument_specs.yml"
    path.parent.mkdir(parents=True)
    path.write_text(LEAKING_SPEC, encoding="utf-8")
    found = dict(collection_jinja(str(tmp_path)))
    prefix = "roles/virtual_appointments/meta/argument_specs.yml.argument_specs.main.options."
    assert set(found) == {prefix + "virtual_appointments_organizer.default",
                          prefix + "virtual_appointments_connection.description[0]"}
    assert "CONTOSO_CLIENT_SECRET" in found[prefix + "virtual_appointments_connection.description[0]"]
