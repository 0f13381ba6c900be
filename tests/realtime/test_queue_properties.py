"""The location queue's conflation and fairness, as properties."""

from __future__ import annotations

import asyncio
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from sonoran_async import LocationUpdate, QueueFullError
from sonoran_async.realtime import LiveLocation, RealtimeStats
from sonoran_async.realtime._queue import LocationQueue, Waiting

Op = tuple[str, int]
ops = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.integers(0, 30)),
        st.tuples(st.just("take"), st.integers(1, 25)),
        st.tuples(st.just("fail"), st.integers(1, 25)),
    ),
    max_size=200,
)


def _update(unit: int, seq: int) -> LiveLocation:
    return LiveLocation(api_id=f"u{unit}", location=str(seq))


@settings(max_examples=150, deadline=None)
@given(ops)
def test_conflation_and_fairness(operations: list[Op]) -> None:
    """Newest wins per unit; every superseded caller resolves SUPERSEDED once; take() hands
    out exactly the units that have waited longest; a batch put back goes first again."""
    loop = asyncio.new_event_loop()
    try:
        queue = LocationQueue(10_000, RealtimeStats())
        since: dict[int, int] = {}  # unit -> when it started waiting (the model)
        newest: dict[int, int] = {}
        futures: dict[int, asyncio.Future[LocationUpdate]] = {}  # seq -> future
        taken: list[Waiting] = []
        front = 0  # put-back batches go before everything, the latest first
        for seq, (op, arg) in enumerate(operations):
            if op == "put":
                future: asyncio.Future[LocationUpdate] = loop.create_future()
                futures[seq] = future
                queue.put(Waiting(_update(arg, seq), future))
                if arg in newest:
                    assert futures[newest[arg]].result() is LocationUpdate.SUPERSEDED
                since.setdefault(arg, seq)
                newest[arg] = seq
            elif op == "take":
                batch = queue.take(arg)
                expected = sorted(since, key=since.__getitem__)[:arg]
                assert [int(str(w.update.api_id)[1:]) for w in batch] == expected
                for w in batch:
                    unit = int(str(w.update.api_id)[1:])
                    assert w.update.location == str(newest.pop(unit))  # the newest left
                    del since[unit]
                taken = batch
            elif taken:  # "fail": the last batch did not leave; it goes back to the front
                queue.put_back(taken)
                front -= 1000
                for rank, w in enumerate(taken):
                    unit = int(str(w.update.api_id)[1:])
                    seq_of = int(w.update.location)
                    if unit in newest:  # a newer one arrived meanwhile: it is kept
                        assert w.future.result() is LocationUpdate.SUPERSEDED
                    else:
                        newest[unit] = seq_of
                    since[unit] = front + rank
                taken = []
        assert len(queue) == len(since)
        done = [f for f in futures.values() if f.done()]
        assert all(f.result() is LocationUpdate.SUPERSEDED for f in done)
    finally:
        loop.close()


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 300), st.integers(1, 25), st.lists(st.integers(0, 299), max_size=300))
def test_no_unit_starves(units: int, per_call: int, movers: list[int]) -> None:
    """Every unit waiting leaves within ceil(units / per_call) calls, however often other
    units send new positions in between."""
    loop = asyncio.new_event_loop()
    try:
        queue = LocationQueue(10_000, RealtimeStats())
        for unit in range(units):
            queue.put(Waiting(_update(unit, 0), loop.create_future()))
        left: set[int] = set()
        bound = math.ceil(units / per_call)
        for call in range(bound):
            for unit in movers[call * 10 : call * 10 + 10]:  # others move meanwhile
                queue.put(Waiting(_update(unit % units, call + 1), loop.create_future()))
            left.update(int(str(w.update.api_id)[1:]) for w in queue.take(per_call))
        assert set(range(units)) <= left
    finally:
        loop.close()


def test_queue_full_is_refused() -> None:
    loop = asyncio.new_event_loop()
    try:
        queue = LocationQueue(2, RealtimeStats())
        for unit in (1, 2, 2):
            queue.put(Waiting(_update(unit, 0), loop.create_future()))
        try:
            queue.put(Waiting(_update(3, 0), loop.create_future()))
        except QueueFullError:
            pass
        else:
            raise AssertionError("a third unit was queued")
    finally:
        loop.close()
