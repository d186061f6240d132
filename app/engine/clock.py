"""The one clock of the app: real time plus an offset that tests and the demo can move.

The offset lives in the `app_setting` table so every web process and timer worker agrees on
"now". SpiffWorkflow reads `datetime.now()` inside its timer module; we point that module at
this clock so timer events and the app use the same time.
"""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from app.models import AppSetting

OFFSET_KEY = "clock_offset_seconds"
RELOAD_SECONDS = 0.5  # how stale another process's view of a moved clock may be


class ClockNotMovable(RuntimeError):
    """Moving the clock outside the demo mode."""


class Clock:
    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._session_factory = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        self.movable = True

    def bind(self, session_factory, movable: bool = True) -> None:
        """Share the offset through the database (call once the schema exists). Outside the
        demo (`movable=False`) the clock is real time: a stored offset is ignored and moving
        it is refused."""
        self._session_factory = session_factory if movable else None
        self._loaded_at = 0.0
        self.movable = movable
        if not movable:
            self._offset = timedelta(0)

    def unbind(self) -> None:
        self._session_factory = None
        self._offset = timedelta(0)
        self.movable = True

    def now(self) -> datetime:
        self._reload_if_stale()
        return datetime.now(UTC) + self._offset

    def today(self):
        return self.now().astimezone(PARIS).date()

    @property
    def offset(self) -> timedelta:
        self._reload_if_stale()
        return self._offset

    def advance(self, delta: timedelta) -> None:
        self.set_offset(self.offset + delta)

    def set_offset(self, offset: timedelta) -> None:
        if not self.movable:
            raise ClockNotMovable("L'horloge ne se règle qu'en mode démonstration "
                                  "(INVALIDITE_DEMO=1).")
        with self._lock:
            self._offset = offset
            self._loaded_at = time.monotonic()
        if self._session_factory is not None:
            with self._session_factory() as session:
                session.merge(AppSetting(key=OFFSET_KEY, value=str(offset.total_seconds())))
                session.commit()

    def _reload_if_stale(self) -> None:
        if self._session_factory is None or time.monotonic() - self._loaded_at < RELOAD_SECONDS:
            return
        with self._session_factory() as session:
            row = session.get(AppSetting, OFFSET_KEY)
        with self._lock:
            self._offset = timedelta(seconds=float(row.value)) if row else timedelta(0)
            self._loaded_at = time.monotonic()


try:
    PARIS = ZoneInfo("Europe/Paris")
except ZoneInfoNotFoundError:  # pragma: no cover - no tz database: French time ≈ UTC+1
    PARIS = timezone(timedelta(hours=1))

clock = Clock()


class _ClockDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        current = clock.now()
        return current.astimezone(tz) if tz else current.astimezone().replace(tzinfo=None)


spiff_timer.datetime = _ClockDatetime
