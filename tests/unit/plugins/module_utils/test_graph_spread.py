"""graph.spread_sizes: how the items of a $batch run are spread over its calls when the service runs each call's
items one after another, each holding one of ``concurrency`` slots (Bookings: four per mailbox).  Pure."""

import heapq
import math

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import BATCH_LIMIT, spread_sizes


def makespan(sizes, concurrency):
    """How long the calls take, in items served one after another, when each goes to the first free slot."""
    lanes = [0] * concurrency
    for size in sizes:
        heapq.heappush(lanes, heapq.heappop(lanes) + size)
    return max(lanes)


def packed(count):
    """20 a call, the last one smaller (what GraphClient.batch sends without spread)."""
    return [BATCH_LIMIT] * (count // BATCH_LIMIT) + ([count % BATCH_LIMIT] if count % BATCH_LIMIT else [])


@pytest.mark.parametrize("count, concurrency, sizes", [
    (0, 4, []), (1, 4, [1]), (3, 4, [1, 1, 1]), (5, 4, [2, 1, 1, 1]), (25, 4, [7, 6, 6, 6]),
    (80, 4, [20] * 4), (41, 2, [11, 10, 10, 10]), (250, 4, [16] * 10 + [15] * 6),
])
def test_spread_sizes(count, concurrency, sizes):
    assert spread_sizes(count, concurrency) == sizes


@pytest.mark.parametrize("concurrency", [1, 2, 3, 4, 8, 16])
def test_spreading_reaches_the_slots_floor_with_at_most_one_call_per_slot_more(concurrency):
    """Every item once, no call over 20, at most concurrency - 1 calls more than 20 a call makes; the calls end when
    the slots' share of the items is served - ceil(count / concurrency) - and never later than 20 a call ends."""
    for count in range(1, 701):
        sizes = spread_sizes(count, concurrency)
        assert sum(sizes) == count and max(sizes) <= BATCH_LIMIT
        assert len(sizes) - len(packed(count)) < concurrency, count
        assert makespan(sizes, concurrency) == math.ceil(count / concurrency), count
        assert makespan(sizes, concurrency) <= makespan(packed(count), concurrency), count
