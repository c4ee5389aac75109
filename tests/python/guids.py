"""Session ids on the wire, shared by the test modules."""

import uuid

from volue.mesh.proto.type import resources_pb2


def to_guid(session_id: uuid.UUID) -> resources_pb2.Guid:
    # Guid.bytes_le is the Microsoft layout: the first three fields
    # little-endian, the last eight bytes as written. Python calls it bytes_le.
    return resources_pb2.Guid(bytes_le=session_id.bytes_le)


def from_guid(guid: resources_pb2.Guid) -> uuid.UUID:
    return uuid.UUID(bytes_le=guid.bytes_le)


def not_found_message(session_id: uuid.UUID) -> str:
    # The server names the id as the reference server does: upper case, in
    # braces. Built here from Python's reading of bytes_le, so a match also
    # proves both sides agree on the byte layout.
    return f"Session with id {{{str(session_id).upper()}}} not found."
