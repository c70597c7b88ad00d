"""Property tests over random case histories: whatever users do and however time passes,
a case moves one level per transition, never above the top or below the bottom, every move
has a reason, the levels chain up, and the timeline stays in order."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from casetafel import clock
from casetafel.cases import service
from casetafel.cases.models import Case, TimelineEvent
from casetafel.errors import Conflict, ValidationFailed
from casetafel.escalation import moves
from casetafel.escalation.models import Deadline
from casetafel.escalation.sweep import sweep
from casetafel.ladder import load_ladder
from tests.conftest import REPO, velsen_case
from tests.escalation.conftest import START, escalations_of, set_now

OBSTACLES = ["no_housing_offered", "municipality_refuses", "no_care_bed", "other"]
# Any level of the ladder as the target (so two levels at once, and the current one, are
# tried too) and junk.
TARGETS = [*load_ladder(REPO / "config").keys(), "x", ""]
MOVE = st.tuples(st.just("move"), st.sampled_from(TARGETS), st.sampled_from(OBSTACLES))
STEPS = st.lists(
    st.one_of(
        MOVE,
        MOVE,  # twice as likely as the other steps
        st.tuples(st.just("wait"), st.integers(min_value=1, max_value=20)),
        st.tuples(st.just("housing"), st.sampled_from(["arranged", "missing"])),
        st.tuples(st.just("release"), st.integers(min_value=-20, max_value=40)),
        st.tuples(st.just("progress"), st.booleans()),
        st.tuples(st.just("close")),
    ),
    max_size=12,
)
CATEGORIES = st.sampled_from(
    [["sex_offender"], ["sudden_tbs_end"], ["no_fixed_abode"], ["victim_proximity"]]
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS, categories=CATEGORIES, release_in=st.integers(min_value=0, max_value=90))
# Always tried: two levels up at once, and two levels down from the top.
@example(steps=[("move", "national", "no_care_bed")], categories=["sex_offender"], release_in=60)
@example(
    steps=[
        ("move", "regional", "other"),
        ("move", "national", "other"),
        ("move", "local", "other"),
    ],
    categories=["no_fixed_abode"],
    release_in=60,
)
async def test_random_histories_keep_the_ladder_consistent(
    steps, categories, release_in, users, directory, ladder, config
):
    now = START
    set_now(now)
    coordinator = users.actors["coordinator"]
    release = date(2026, 11, 25) + timedelta(days=release_in)
    case = await service.create_case(
        coordinator,
        velsen_case(categories=categories, release_date=release.isoformat()),
        directory,
        ladder,
    )
    for step in steps:
        now = await _apply(step, case.reference, now, coordinator, directory, ladder, config)
        await _check(case.id, config)


async def _apply(
    step: tuple[Any, ...], reference: str, now, coordinator, directory, ladder, config
):  # type: ignore[no-untyped-def]
    try:
        if step[0] == "move":
            await moves.escalate(
                coordinator,
                reference,
                to_level=step[1],
                obstacle=step[2],
                note="toelichting",
                expected_version=None,
                config=config,
                directory=directory,
            )
        elif step[0] == "wait":
            now = now + timedelta(days=step[1])
            set_now(now)
            await sweep(config)
        elif step[0] == "housing":
            changes = {"housing_state": step[1]}
            await service.update_case(coordinator, reference, changes, directory, ladder)
        elif step[0] == "release":
            new = clock.today() + timedelta(days=step[1])
            changes = {"release_date": new.isoformat(), "release_certainty": "expected"}
            await service.update_case(coordinator, reference, changes, directory, ladder)
        elif step[0] == "progress":
            await moves.record_progress(
                coordinator,
                reference,
                held_on=clock.today(),
                decision="besluit" if step[1] else "",
                expected_version=None,
                config=config,
                directory=directory,
            )
        else:
            await service.close_case(coordinator, reference, "other", "", directory, ladder)
    except (Conflict, ValidationFailed):
        pass  # refused: the invariants must hold all the same
    return now


async def _check(case_id: int, config) -> None:  # type: ignore[no-untyped-def]
    ladder = config.ladder
    case = await Case.objects().where(Case.id == case_id).first()
    history = await escalations_of(case_id)
    level = ladder.bottom.key
    for index, move in enumerate(history):
        assert move.from_level == level, "the levels chain up"
        if move.direction == "start":
            assert index == 0 and move.trigger != "user"
        else:
            step = ladder.position(move.to_level) - ladder.position(move.from_level)
            assert step == (1 if move.direction == "up" else -1), "one level per transition"
        assert move.obstacle or move.trigger != "user", "every move has a reason"
        assert move.trigger == "user" or config.default.get(move.trigger) is not None
        level = move.to_level
    assert case.level == level and ladder.get(case.level) is not None
    times = [
        row["at"]
        for row in await TimelineEvent.select(TimelineEvent.at)
        .where(TimelineEvent.case == case_id)
        .order_by(TimelineEvent.id)
    ]
    assert times == sorted(times), "the timeline is in order"
    open_rows = await Deadline.objects().where(
        (Deadline.case == case_id) & (Deadline.state == "pending")
    )
    if case.status == "closed":
        assert open_rows == []
    for kind in ("housing_deadline", "time_box", "conference_due", "bij_missing"):
        assert len([r for r in open_rows if r.kind == kind]) <= 1, kind
    assert all(r.level in (None, case.level) for r in open_rows if r.kind != "bij_missing")
