"""The database layer: MongoDB through pymongo only, embedded or remote."""

from isomer_data.database.connection import Database, open_database
from isomer_data.database.embedded import EmbeddedMongo

__all__ = ["Database", "EmbeddedMongo", "open_database"]
