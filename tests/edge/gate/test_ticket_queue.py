"""The in-process line (edge/gate/tickets.py) at its edges: the abandonment boundary, a
dead ticket's poll, the sweep's budget and order, leaving, opening (test_queue.py checks
positions and growth)."""

from __future__ import annotations

from northgate.edge.gate.tickets import Place, TicketQueue


def test_a_place_is_kept_for_exactly_abandon_after_seconds() -> None:
    queue = TicketQueue(abandon_after=30)
    ticket = queue.join(100.0).ticket
    assert queue.is_live(ticket, 130.0)
    assert queue.touch(ticket, 130.0) == Place(ticket, 0)  # the poll renews it
    assert queue.is_live(ticket, 160.0)
    assert not queue.is_live(ticket, 160.001)
    assert not queue.is_live(ticket + 1, 100.0)  # never handed out


def test_polling_a_dead_ticket_frees_its_place() -> None:
    queue = TicketQueue(abandon_after=30)
    first, second = queue.join(0.0).ticket, queue.join(50.0).ticket
    assert queue.live == 2
    assert queue.touch(first, 31.0) is None
    assert queue.live == 1
    assert queue.touch(first, 31.0) is None  # once only
    assert queue.live == 1
    assert queue.touch(second, 60.0) == Place(second, 0)
    assert queue.touch(999, 60.0) is None and queue.live == 1


def test_sweep_drops_the_oldest_abandoned_first_within_its_budget() -> None:
    queue = TicketQueue(abandon_after=10)
    tickets = [queue.join(float(i)).ticket for i in range(10)]
    queue.touch(tickets[0], 9.0)  # polled lately: not abandoned
    assert queue.sweep(100.0, budget=3) == 3
    assert queue.live == 7
    # The three least recently polled went (tickets 2, 3, 4); ticket 1 was polled at 9.
    assert [queue.is_live(t, 10.5) for t in tickets[:5]] == [True, False, False, False, True]
    assert queue.sweep(15.5, budget=100) == 2  # joined at 4.0 and 5.0; 6.0 is not stale yet
    assert queue.sweep(15.5) == 0
    assert queue.sweep(1000.0) == 5
    assert queue.live == 0 and queue.head == queue.tail + 1


def test_leaving_moves_the_head_past_every_gap() -> None:
    queue = TicketQueue(abandon_after=60)
    tickets = [queue.join(0.0).ticket for _ in range(5)]
    queue.leave(tickets[1])
    queue.leave(tickets[2])
    assert queue.head == 1
    queue.leave(tickets[0])
    assert queue.head == tickets[3]
    assert queue.touch(tickets[4], 1.0) == Place(tickets[4], 1)
    queue.leave(tickets[0])  # twice, or a ticket never held: nothing changes
    queue.leave(999)
    assert queue.live == 2 and len(queue) == 2


def test_positions_count_only_live_places_in_front() -> None:
    queue = TicketQueue(abandon_after=60)
    tickets = [queue.join(0.0).ticket for _ in range(4)]
    assert [queue.touch(t, 1.0) for t in tickets] == [Place(t, i) for i, t in enumerate(tickets)]
    queue.leave(tickets[1])
    assert queue.touch(tickets[3], 2.0) == Place(tickets[3], 2)
    assert queue.join(3.0).position == 3


def test_opening_makes_every_pre_ticket_live_once() -> None:
    queue = TicketQueue(abandon_after=60)
    assert [queue.prejoin() for _ in range(3)] == [1, 2, 3]
    queue.open(10.0)
    assert (queue.live, queue.tail, queue.opened_at) == (3, 3, 10.0)
    assert queue.touch(3, 11.0) == Place(3, 2)
    queue.open(20.0)  # already open: no second set of places
    assert (queue.live, queue.tail, queue.opened_at) == (3, 3, 10.0)
    assert queue.join(12.0) == Place(4, 3)


def test_sweep_keeps_a_place_polled_exactly_abandon_after_ago() -> None:
    queue = TicketQueue(abandon_after=10)
    queue.join(0.0)
    assert queue.sweep(10.0) == 0
    assert queue.sweep(10.001) == 1
