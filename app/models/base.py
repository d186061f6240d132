"""Declarative base shared by every table, with stable constraint names for Alembic."""
import json
from collections.abc import Mapping
from datetime import UTC, datetime

import orjson
from sqlalchemy import JSON, DateTime, MetaData, Text, TypeDecorator, cast
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use the app clock")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Encoded(Mapping):
    """A JSON document already encoded (bytes): written as is, decoded only if read."""

    __slots__ = ("_decoded", "encoded")

    def __init__(self, encoded: bytes):
        self.encoded, self._decoded = encoded, None

    def _value(self) -> dict:
        if self._decoded is None:
            self._decoded = orjson.loads(self.encoded)
        return self._decoded

    def __getitem__(self, key):
        return self._value()[key]

    def __iter__(self):
        return iter(self._value())

    def __len__(self) -> int:
        return len(self._value())

    def __repr__(self) -> str:
        return repr(self._value())


class _ParsedText(TypeDecorator):
    """The JSON column read as text, parsed by orjson."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value, dialect):
        return None if value is None else orjson.loads(value)


class EncodedJSON(TypeDecorator):
    """A JSON column encoded and decoded by orjson, once: an `Encoded` value is written as
    its bytes (no second encoding by the driver), and the column is read as text and parsed
    by orjson (the drivers would use the slower `json` module). Same DDL as `JSON`."""

    impl = JSON
    cache_ok = True

    def column_expression(self, column):
        return cast(column, _ParsedText())

    def bind_processor(self, dialect):
        native = dialect.name == "postgresql"

        def process(value):
            if value is None:
                return None
            text = value.encoded if isinstance(value, Encoded) else encode(value)
            if native:
                from psycopg.types.json import Json

                return Json(text, dumps=_as_is)
            return text.decode()
        return process

    def result_processor(self, dialect, coltype):
        def process(value):  # already parsed when read through `column_expression`
            return orjson.loads(value) if isinstance(value, (str, bytes)) else value
        return process

    def compare_values(self, x, y) -> bool:
        # A step always writes the state it assigned: never decode it to compare.
        return x is y


def encode(value) -> bytes:
    """orjson, or the `json` module for what orjson refuses (integers past 64 bits…)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value).encode()


def _as_is(value: bytes) -> bytes:
    return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}
