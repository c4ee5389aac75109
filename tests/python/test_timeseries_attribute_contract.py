"""The official Python SDK's view of time series attributes of the model.

A model of this module's own (unique names: the server is shared by the
whole pytest run) is built through ModelDefinitionService: one object
definition with a time series attribute without template (TsRawAtt), one
with the template "##= 1" (TsCalcAtt) and a simple attribute (DblAtt).

Requests are built as the SDK builds them (_base_session.py:
update_timeseries_attribute, read_timeseries_points,
write_timeseries_points; MeshIds from a path string, a uuid or an attribute
instance = id and path) and replies are read as it reads them (_attribute.py
TimeseriesAttribute: exactly one TimeseriesAttributeValue, the resource only
if HasField, uuid.UUID(bytes_le=...) of every id, Arrow via pyarrow).
Error texts are matched with re.search, as the SDK's tests match them.

Tests that change the model do it in their own session and never commit,
except the last, which commits on an object of its own.
"""

import re
import uuid
from datetime import datetime, timedelta

import grpc
import pyarrow as pa
import pyarrow.ipc
import pytest
from google.protobuf import empty_pb2, field_mask_pb2, timestamp_pb2

from guids import from_guid, to_guid
from volue.mesh.proto.model.v1alpha import model_pb2, model_pb2_grpc
from volue.mesh.proto.model.v1alpha import resources_pb2 as model_resources_pb2
from volue.mesh.proto.model_definition.v1alpha import (
    model_definition_pb2 as mdp,
    model_definition_pb2_grpc,
)
from volue.mesh.proto.model_definition.v1alpha import resources_pb2 as mdr
from volue.mesh.proto.session.v1alpha import session_pb2_grpc
from volue.mesh.proto.time_series.v1alpha import time_series_pb2, time_series_pb2_grpc
from volue.mesh.proto.type import resources_pb2

DEADLINE_S = 10
CALC_TEMPLATE = "##= 1"

Curve = resources_pb2.Curve
Resolution = resources_pb2.Resolution
VT = mdr.AttributeValueType

# The SDK's "basic view" attribute field mask (full_attribute_info=False).
BASIC_ATTRIBUTE_MASK = ["id", "path", "name", "values", "value_type", "value_type_collection", "owner_id"]
# The regex the SDK's tests use for a bad attribute target.
ATTRIBUTE_TARGET_ERROR = r"(not found)|(Invalid type)"

# The SDK's time series table schema.
SDK_SCHEMA = pa.schema(
    [
        pa.field("utc_time", pa.timestamp("ms")),
        pa.field("flags", pa.uint32()),
        pa.field("value", pa.float64()),
    ]
)


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


# --- requests as the SDK builds them -------------------------------------------------


def sdk_id(target) -> resources_pb2.MeshId:
    """_to_proto_mesh_id: str -> path only, UUID -> id only, int -> key only,
    an attribute instance (here a dict with id and path) -> id and path."""
    if isinstance(target, str):
        return resources_pb2.MeshId(path=target)
    if isinstance(target, uuid.UUID):
        return resources_pb2.MeshId(id=to_guid(target))
    if isinstance(target, int):
        return resources_pb2.MeshId(timeseries_key=target)
    return resources_pb2.MeshId(id=to_guid(target["id"]), path=target["path"])


def mask(paths):
    return field_mask_pb2.FieldMask(paths=list(paths))


def sdk_timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)  # naive = UTC to the SDK
    return stamp


def sdk_interval(start: datetime, end: datetime) -> resources_pb2.UtcInterval:
    return resources_pb2.UtcInterval(start_time=sdk_timestamp(start), end_time=sdk_timestamp(end))


def sdk_table(points) -> pa.Table:
    return pa.Table.from_arrays(
        [
            pa.array([p[0] for p in points], type=pa.timestamp("ms")),
            pa.array([p[1] for p in points], type=pa.uint32()),
            pa.array([p[2] for p in points], type=pa.float64()),
        ],
        schema=SDK_SCHEMA,
    )


def sdk_payload(table: pa.Table) -> bytes:
    """_to_proto_timeseries: a stream writer the SDK never closes."""
    sink = pa.BufferOutputStream()
    writer = pa.ipc.RecordBatchStreamWriter(sink=sink, schema=table.schema)
    writer.write_table(table)
    return sink.getvalue().to_pybytes()


def sdk_update_timeseries_attribute_request(session, target, new_local_expression=None,
                                            new_timeseries_resource_key=None):
    """_prepare_update_timeseries_attribute_request, field for field."""
    request = model_pb2.UpdateTimeseriesAttributeRequest(session_id=to_guid(session), attribute_id=sdk_id(target))
    fields_to_update = []
    if new_local_expression is not None:
        fields_to_update.append("new_local_expression")
        request.new_local_expression = new_local_expression
    if new_timeseries_resource_key is not None:
        fields_to_update.append("new_timeseries_resource_key")
        request.new_timeseries_resource_key = new_timeseries_resource_key
    request.field_mask.CopyFrom(field_mask_pb2.FieldMask(paths=fields_to_update))
    return request


def sdk_write_request(session, table, start, end, timskey=None, uuid_id=None, full_name=None):
    """write_timeseries_points(Timeseries(table, start_time=..., end_time=...,
    timskey=..., uuid_id=..., full_name=...)): _to_proto_mesh_id_from_timeseries
    sets exactly what the Timeseries carries; resolution None (unset)."""
    mesh_id = resources_pb2.MeshId()
    if uuid_id is not None:
        mesh_id.id.CopyFrom(to_guid(uuid_id))
    if full_name is not None:
        mesh_id.path = full_name
    if timskey is not None:
        mesh_id.timeseries_key = timskey
    return time_series_pb2.WriteTimeseriesRequest(
        session_id=to_guid(session),
        timeseries=time_series_pb2.Timeseries(
            id=mesh_id, resolution=None, interval=sdk_interval(start, end), data=sdk_payload(table)
        ),
    )


# --- replies as the SDK reads them ---------------------------------------------------


def sdk_uuid(guid) -> uuid.UUID:
    return uuid.UUID(bytes_le=guid.bytes_le)  # raises unless 16 bytes, as in the SDK


def sdk_resource(resource):
    """TimeseriesResource._from_proto_timeseries_resource."""
    return {
        "timeseries_key": resource.timeseries_key,
        "path": resource.path,
        "name": resource.name,
        "temporary": resource.temporary,
        "curve_type": resource.curve_type.type,
        "resolution": resource.resolution.type,
        "unit": resource.unit_of_measurement.name if resource.HasField("unit_of_measurement") else None,
        "virtual_timeseries_expression": resource.virtual_timeseries_expression,
        "time_zone": resource.time_zone if resource.time_zone else None,
    }


def sdk_timeseries_attribute(attribute):
    """_from_proto_attribute for value_type TIMESERIES (TimeseriesAttribute)."""
    assert attribute.value_type == VT.ATTRIBUTE_VALUE_TYPE_TIMESERIES, attribute.value_type
    result = {
        "id": sdk_uuid(attribute.id),
        "path": attribute.path,
        "name": attribute.name,
        "owner_id": sdk_uuid(attribute.owner_id.id),  # read unconditionally
        "owner_path": attribute.owner_id.path,
        "definition": None,
    }
    # >1 values: the SDK raises TypeError; 0 values: the SDK's attribute has
    # no expression / time_series_resource at all.
    assert len(attribute.values) == 1, f"{attribute.path}: {len(attribute.values)} values"
    assert attribute.values[0].WhichOneof("value_oneof") == "timeseries_value"
    value = attribute.values[0].timeseries_value
    result["time_series_resource"] = (
        sdk_resource(value.time_series_resource) if value.HasField("time_series_resource") else None
    )
    result["is_local_expression"] = value.is_local_expression
    result["expression"] = value.expression
    if attribute.HasField("definition"):
        definition = attribute.definition
        ts = definition.timeseries_definition
        result["definition"] = {
            "id": sdk_uuid(definition.id),
            "path": definition.path,
            "name": definition.name,
            "oneof": definition.WhichOneof("definition_type_oneof"),
            "template_expression": ts.template_expression,
            "unit": ts.unit_of_measurement.name if ts.HasField("unit_of_measurement") else None,
        }
    return result


def sdk_read_reply(reply):
    """_read_timeseries_impl + _read_proto_reply."""
    assert len(reply.timeseries) == 1, "the SDK wants exactly one series per read"
    return sdk_series(reply.timeseries[0])


def sdk_series(series):
    assert series.data, "the SDK raises on empty data"
    table = pa.ipc.open_stream(series.data).read_all()
    assert table.schema == SDK_SCHEMA, table.schema
    result = {"table": table}
    if series.HasField("id"):
        result["resolution"] = series.resolution.type
        result["timskey"] = series.id.timeseries_key
        result["uuid"] = uuid.UUID(bytes_le=series.id.id.bytes_le)  # raises unless 16 bytes
        result["path"] = series.id.path
    return result


def raises(call, pattern, code=None):
    with pytest.raises(grpc.RpcError) as caught:
        call()
    details = caught.value.details() or ""
    assert re.search(pattern, details), f"{pattern!r} not in {details!r} ({caught.value.code()})"
    if code is not None:
        assert caught.value.code() == code, f"{caught.value.code()}: {details}"
    return caught.value


# --- the API -------------------------------------------------------------------------


class Api:
    def __init__(self, channel):
        self.sessions = session_pb2_grpc.SessionServiceStub(channel)
        self.model = model_pb2_grpc.ModelServiceStub(channel)
        self.defs = model_definition_pb2_grpc.ModelDefinitionServiceStub(channel)
        self.series = time_series_pb2_grpc.TimeseriesServiceStub(channel)
        self.opened = []

    def open(self) -> uuid.UUID:
        session = from_guid(self.sessions.StartSession(empty_pb2.Empty(), timeout=DEADLINE_S).session_id)
        self.opened.append(session)
        return session

    def close_all(self):
        for session in self.opened:
            try:
                self.sessions.EndSession(to_guid(session), timeout=DEADLINE_S)
            except grpc.RpcError:
                pass
        self.opened.clear()

    def commit(self, session):
        self.sessions.Commit(to_guid(session), timeout=DEADLINE_S)

    def unit_id(self, session, name):
        reply = self.defs.ListUnitsOfMeasurement(
            mdp.ListUnitsOfMeasurementRequest(session_id=to_guid(session)), timeout=DEADLINE_S
        )
        for unit in reply.units_of_measurement:
            if unit.name == name:
                return unit.id
        raise ValueError("invalid unit of measurement provided")

    def create_series(self, session, unit="cm", curve=Curve.PIECEWISELINEAR):
        return self.series.CreatePhysicalTimeseries(
            time_series_pb2.CreatePhysicalTimeseriesRequest(
                session_id=to_guid(session),
                path="/TsAttributeContract/",
                name=unique("raw"),
                curve_type=Curve(type=curve),
                resolution=Resolution(type=Resolution.HOUR),
                unit_of_measurement_id=self.unit_id(session, unit),
            ),
            timeout=DEADLINE_S,
        )

    def get_resource(self, session, key):
        return self.series.GetTimeseriesResource(
            time_series_pb2.GetTimeseriesResourceRequest(session_id=to_guid(session), timeseries_resource_key=key),
            timeout=DEADLINE_S,
        )

    def get_attribute(self, session, target, full_attribute_info=False):
        request = model_pb2.GetAttributeRequest(session_id=to_guid(session), attribute_id=sdk_id(target))
        if not full_attribute_info:
            request.field_mask.CopyFrom(mask(BASIC_ATTRIBUTE_MASK))
        return sdk_timeseries_attribute(self.model.GetAttribute(request, timeout=DEADLINE_S))

    def get_object_attributes(self, session, target, full_attribute_info=False):
        """get_object: AttributesMasks always present; the basic mask unless full."""
        request = model_pb2.GetObjectRequest(
            session_id=to_guid(session), object_id=sdk_id(target),
            attributes_masks=model_resources_pb2.AttributesMasks(),
        )
        if not full_attribute_info:
            request.attribute_field_mask.CopyFrom(mask(BASIC_ATTRIBUTE_MASK))
        reply = self.model.GetObject(request, timeout=DEADLINE_S)
        return {
            a.name: sdk_timeseries_attribute(a)
            for a in reply.attributes
            if a.value_type == VT.ATTRIBUTE_VALUE_TYPE_TIMESERIES
        }

    def search_timeseries_attributes(self, session, target, query, full_attribute_info=False):
        request = model_pb2.SearchAttributesRequest(
            session_id=to_guid(session), start_object_id=sdk_id(target), query=query
        )
        if not full_attribute_info:
            request.field_mask.CopyFrom(mask(BASIC_ATTRIBUTE_MASK))
        return {
            a.name: sdk_timeseries_attribute(a)
            for a in self.model.SearchAttributes(request, timeout=DEADLINE_S)
            if a.value_type == VT.ATTRIBUTE_VALUE_TYPE_TIMESERIES
        }

    def update_timeseries_attribute(self, session, target, **kwargs):
        self.model.UpdateTimeseriesAttribute(
            sdk_update_timeseries_attribute_request(session, target, **kwargs), timeout=DEADLINE_S
        )

    def read(self, session, target, start, end):
        return self.series.ReadTimeseries(
            time_series_pb2.ReadTimeseriesRequest(
                session_id=to_guid(session), timeseries_id=sdk_id(target), interval=sdk_interval(start, end)
            ),
            timeout=DEADLINE_S,
        )

    def create_component(self, session, world, name):
        return self.model.CreateObject(
            model_pb2.CreateObjectRequest(
                session_id=to_guid(session), name=name,
                owner_id=resources_pb2.MeshId(id=to_guid(world["model_id"])),
                object_definition_id=resources_pb2.MeshId(path=f"{world['def_root']}/ComponentType"),
            ),
            timeout=DEADLINE_S,
        )


# --- the model -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(channel):
    api = Api(channel)
    try:
        s = api.open()
        sid = to_guid(s)
        d = api.defs
        repository = unique("TsAttrRepository")
        def_root = f"Repository/{repository}"
        created = d.CreateNamespace(mdp.CreateNamespaceRequest(session_id=sid, name=repository), timeout=DEADLINE_S)
        assert created.is_model_definition
        ns = resources_pb2.MeshId(path=def_root)
        d.CreateObjectDefinition(
            mdp.CreateObjectDefinitionRequest(session_id=sid, name_space_id=ns, name="ComponentType"),
            timeout=DEADLINE_S,
        )
        owner = resources_pb2.MeshId(path=f"{def_root}/ComponentType")
        cm = api.unit_id(s, "cm")
        for name, template in (("TsRawAtt", ""), ("TsCalcAtt", CALC_TEMPLATE)):
            ts_type = d.CreateTimeseriesAttributeType(
                mdp.CreateTimeseriesAttributeTypeRequest(
                    session_id=sid, name_space_id=ns, name=name, unit_of_measurement_id=cm
                ),
                timeout=DEADLINE_S,
            )
            d.AddTimeseriesAttributeDefinition(
                mdp.AddTimeseriesAttributeDefinitionRequest(
                    session_id=sid, attribute_type_id=resources_pb2.MeshId(id=ts_type.id),
                    object_definition_id=owner, cardinality=1, template_expression=template,
                ),
                timeout=DEADLINE_S,
            )
        dbl_type = d.CreateSimpleAttributeType(
            mdp.CreateSimpleAttributeTypeRequest(
                session_id=sid, name_space_id=ns, name="DblAtt", value_type=VT.ATTRIBUTE_VALUE_TYPE_DOUBLE
            ),
            timeout=DEADLINE_S,
        )
        d.AddSimpleAttributeDefinition(
            mdp.AddSimpleAttributeDefinitionRequest(
                session_id=sid, attribute_type_id=resources_pb2.MeshId(id=dbl_type.id),
                object_definition_id=owner, cardinality=1,
            ),
            timeout=DEADLINE_S,
        )
        model_name = unique("TsAttrModel")
        model = api.model.CreateModel(
            model_pb2.CreateModelRequest(
                session_id=sid, name=model_name, model_definition_id=resources_pb2.MeshId(path=def_root)
            ),
            timeout=DEADLINE_S,
        )
        world = {"def_root": def_root, "model_id": sdk_uuid(model.id), "model_path": f"Model/{model_name}"}
        component = api.create_component(s, world, "Component")
        api.commit(s)
        object_path = f"{world['model_path']}/Component"
        assert component.path == object_path
        attributes = {a.name: a for a in component.attributes}
        world.update(
            object_id=sdk_uuid(component.id),
            object_path=object_path,
            raw_id=sdk_uuid(attributes["TsRawAtt"].id),
            calc_id=sdk_uuid(attributes["TsCalcAtt"].id),
            dbl_id=sdk_uuid(attributes["DblAtt"].id),
            raw_path=f"{object_path}.TsRawAtt",
            calc_path=f"{object_path}.TsCalcAtt",
            dbl_path=f"{object_path}.DblAtt",
        )
        yield world
    finally:
        api.close_all()


@pytest.fixture
def api(channel, world):
    api = Api(channel)
    yield api
    api.close_all()


@pytest.fixture
def session(api):
    return api.open()


def instance(world, name):
    """What the SDK sends for an attribute instance: its id and its path."""
    return {"id": world[f"{name}_id"], "path": world[f"{name}_path"]}


# --- 1. reading unconnected attributes ------------------------------------------------


@pytest.mark.parametrize("full", [False, True], ids=["basic", "full"])
def test_unconnected_attributes_read_back_one_value(api, session, world, full):
    views = {
        "get_attribute": {
            "TsRawAtt": api.get_attribute(session, world["raw_path"], full_attribute_info=full),
            "TsCalcAtt": api.get_attribute(session, world["calc_id"], full_attribute_info=full),
        },
        "get_object": api.get_object_attributes(session, world["object_path"], full_attribute_info=full),
        "search_attributes": api.search_timeseries_attributes(
            session, world["object_id"], "*.TsRawAtt,TsCalcAtt", full_attribute_info=full
        ),
    }
    for view, attributes in views.items():
        assert sorted(attributes) == ["TsCalcAtt", "TsRawAtt"], view
        raw, calc = attributes["TsRawAtt"], attributes["TsCalcAtt"]
        assert raw["id"] == world["raw_id"], view
        assert raw["path"] == world["raw_path"], view
        assert raw["owner_id"] == world["object_id"], view
        assert raw["owner_path"] == world["object_path"], view
        assert raw["time_series_resource"] is None, view
        assert raw["expression"] == "", view
        assert raw["is_local_expression"] is False, view
        assert calc["id"] == world["calc_id"], view
        assert calc["path"] == world["calc_path"], view
        assert calc["time_series_resource"] is None, view
        assert calc["expression"] == CALC_TEMPLATE, view
        assert calc["is_local_expression"] is False, view
        if full:
            for name, template in (("TsRawAtt", ""), ("TsCalcAtt", CALC_TEMPLATE)):
                definition = attributes[name]["definition"]
                assert definition is not None, view
                assert definition["oneof"] == "timeseries_definition", view
                assert definition["path"] == f"{world['def_root']}/ComponentType/{name}", view
                assert definition["name"] == name, view
                assert definition["template_expression"] == template, view
                assert definition["unit"] == "cm", view
        else:
            assert raw["definition"] is None and calc["definition"] is None, view


# --- 2. update_timeseries_attribute -----------------------------------------------------


@pytest.mark.parametrize("form", ["path", "id", "instance"])
def test_connect_and_disconnect_a_physical_series(api, session, world, form):
    target = {"path": world["raw_path"], "id": world["raw_id"], "instance": instance(world, "raw")}[form]
    created = api.create_series(session)
    key = created.timeseries_key
    assert key > 0

    api.update_timeseries_attribute(session, target, new_timeseries_resource_key=key)
    expected = sdk_resource(api.get_resource(session, key))
    assert expected == sdk_resource(created)
    for full in (False, True):
        attribute = api.get_attribute(session, world["raw_path"], full_attribute_info=full)
        resource = attribute["time_series_resource"]
        assert resource is not None
        assert resource == expected
        assert resource["timeseries_key"] == key
        assert resource["path"] == created.path
        assert resource["name"] == created.name
        assert resource["curve_type"] == Curve.PIECEWISELINEAR
        assert resource["resolution"] == Resolution.HOUR
        assert resource["unit"] == "cm"
        assert attribute["expression"] == ""
        assert attribute["is_local_expression"] is False
    assert api.get_object_attributes(session, world["object_id"])["TsRawAtt"]["time_series_resource"] == expected

    api.update_timeseries_attribute(session, target, new_timeseries_resource_key=0)
    assert api.get_attribute(session, world["raw_path"])["time_series_resource"] is None
    assert api.get_attribute(session, world["raw_path"], full_attribute_info=True)["time_series_resource"] is None


@pytest.mark.parametrize("form", ["path", "id", "instance"])
def test_set_a_local_expression(api, session, world, form):
    target = {"path": world["calc_path"], "id": world["calc_id"], "instance": instance(world, "calc")}[form]
    local = "##= 2 + @t('.TsRawAtt')\n"
    api.update_timeseries_attribute(session, target, new_local_expression=local)
    for full in (False, True):
        attribute = api.get_attribute(session, world["calc_id"], full_attribute_info=full)
        assert attribute["expression"] == local
        assert attribute["is_local_expression"] is True
        assert attribute["time_series_resource"] is None
        if full:
            assert attribute["definition"]["template_expression"] == CALC_TEMPLATE
    searched = api.search_timeseries_attributes(session, world["object_path"], "*.TsCalcAtt", full_attribute_info=True)
    assert searched["TsCalcAtt"]["expression"] == local
    assert searched["TsCalcAtt"]["is_local_expression"] is True
    assert searched["TsCalcAtt"]["definition"]["template_expression"] == CALC_TEMPLATE

    # Another session does not see the uncommitted change.
    other = api.open()
    untouched = api.get_attribute(other, world["calc_id"])
    assert untouched["expression"] == CALC_TEMPLATE
    assert untouched["is_local_expression"] is False


def test_both_fields_in_one_call(api, session, world):
    key = api.create_series(session).timeseries_key
    request = sdk_update_timeseries_attribute_request(
        session, instance(world, "raw"), new_local_expression="##= 5", new_timeseries_resource_key=key
    )
    assert list(request.field_mask.paths) == ["new_local_expression", "new_timeseries_resource_key"]
    api.model.UpdateTimeseriesAttribute(request, timeout=DEADLINE_S)
    attribute = api.get_attribute(session, world["raw_path"])
    assert attribute["expression"] == "##= 5"
    assert attribute["is_local_expression"] is True
    assert attribute["time_series_resource"]["timeseries_key"] == key


# --- 3. errors ------------------------------------------------------------------------


def test_update_without_parameters_to_update(api, session, world):
    request = sdk_update_timeseries_attribute_request(session, world["raw_path"])
    assert list(request.field_mask.paths) == []
    raises(
        lambda: api.model.UpdateTimeseriesAttribute(request, timeout=DEADLINE_S),
        "nothing is set to be updated",
        grpc.StatusCode.INVALID_ARGUMENT,
    )


def test_update_with_a_missing_series_key(api, session, world):
    raises(
        lambda: api.update_timeseries_attribute(session, world["raw_path"], new_timeseries_resource_key=123456),
        "time series key: 123456 not found",
        grpc.StatusCode.NOT_FOUND,
    )
    # Nothing changed.
    assert api.get_attribute(session, world["raw_path"])["time_series_resource"] is None


@pytest.mark.parametrize("target", ["object_path", "object_id", "simple_path", "simple_id", "random_id"])
def test_update_with_an_invalid_target(api, session, world, target):
    sent = {
        "object_path": world["object_path"],
        "object_id": world["object_id"],
        "simple_path": world["dbl_path"],
        "simple_id": world["dbl_id"],
        "random_id": uuid.uuid4(),
    }[target]
    error = raises(
        lambda: api.update_timeseries_attribute(session, sent, new_local_expression="##= 3"),
        ATTRIBUTE_TARGET_ERROR,
    )
    if target.startswith("simple"):
        assert "Invalid type" in error.details()
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    else:
        assert "not found" in error.details()
        assert error.code() == grpc.StatusCode.NOT_FOUND
    # The simple attribute is untouched.
    assert api.model.GetAttribute(
        model_pb2.GetAttributeRequest(session_id=to_guid(session), attribute_id=sdk_id(world["dbl_path"])),
        timeout=DEADLINE_S,
    ).value_type == VT.ATTRIBUTE_VALUE_TYPE_DOUBLE


# --- 4. points through the attribute ------------------------------------------------------


T0 = datetime(2016, 1, 1, 0)
POINTS = [(T0 + timedelta(hours=i), 0, float(i) * 1.5) for i in range(6)]


def connect_new_series(api, session, world):
    # Start-of-step: a read answers exactly the points of the interval (a
    # piecewise linear one would add the point after the end).
    key = api.create_series(session, curve=Curve.STAIRCASESTARTOFSTEP).timeseries_key
    api.update_timeseries_attribute(session, instance(world, "raw"), new_timeseries_resource_key=key)
    return key


@pytest.mark.parametrize("form", ["path", "id", "instance"])
def test_write_and_read_points_through_the_attribute(api, session, world, form):
    key = connect_new_series(api, session, world)
    table = sdk_table(POINTS)
    start, end = T0, T0 + timedelta(hours=6)
    ids = {
        "path": {"full_name": world["raw_path"]},
        "id": {"uuid_id": world["raw_id"]},
        "instance": {"uuid_id": world["raw_id"], "full_name": world["raw_path"]},
    }[form]
    api.series.WriteTimeseries(sdk_write_request(session, table, start, end, **ids), timeout=DEADLINE_S)

    by_key = sdk_read_reply(api.read(session, key, start, end))
    assert by_key["table"].equals(table)
    assert by_key["timskey"] == key

    target = {"path": world["raw_path"], "id": world["raw_id"], "instance": instance(world, "raw")}[form]
    through = sdk_read_reply(api.read(session, target, start, end))
    assert through["table"].equals(table)
    assert through["uuid"] == world["raw_id"]
    assert through["path"] == world["raw_path"]
    assert through["timskey"] == 0
    assert through["resolution"] == Resolution.HOUR


def test_read_stream_through_the_attribute(api, session, world):
    key = connect_new_series(api, session, world)
    table = sdk_table(POINTS)
    start, end = T0, T0 + timedelta(hours=6)
    api.series.WriteTimeseries(sdk_write_request(session, table, start, end, timskey=key), timeout=DEADLINE_S)
    replies = list(
        api.series.ReadTimeseriesStream(
            time_series_pb2.ReadTimeseriesStreamRequest(
                session_id=to_guid(session),
                timeseries_ids=[sdk_id(instance(world, "raw")), sdk_id(key)],
                interval=sdk_interval(start, end),
            ),
            timeout=DEADLINE_S,
        )
    )
    series = [sdk_series(s) for reply in replies for s in reply.timeseries]
    assert len(series) == 2
    assert [s["table"].equals(table) for s in series] == [True, True]
    through = [s for s in series if s["timskey"] == 0]
    assert len(through) == 1
    assert through[0]["uuid"] == world["raw_id"]
    assert through[0]["path"] == world["raw_path"]
    assert [s["timskey"] for s in series if s["timskey"] != 0] == [key]


@pytest.mark.parametrize("form", ["path", "instance"])
def test_read_through_an_expression_only_attribute_evaluates_it(api, session, world, form):
    # The template `##= 1` gives a number; read through the attribute it is
    # one breakpoint point at the interval's start (docs/decisions.md).
    target = {"path": world["calc_path"], "instance": instance(world, "calc")}[form]
    series = sdk_read_reply(api.read(session, target, T0, T0 + timedelta(hours=3)))
    assert series["uuid"] == world["calc_id"]
    assert series["path"] == world["calc_path"]
    assert series["timskey"] == 0
    assert series["resolution"] == Resolution.BREAKPOINT
    assert series["table"].column("value").to_pylist() == [1.0]
    assert series["table"].column("flags").to_pylist() == [0]


@pytest.mark.parametrize("which", ["calc", "raw"])
def test_write_through_an_attribute_without_physical_series_is_refused(api, session, world, which):
    # As the official SDK's test_write_timeseries_points_to_calculation_timeseries
    # expects: the reference's text, for expression attributes and unconnected ones.
    path = world[f"{which}_path"]
    table = sdk_table(POINTS)
    with pytest.raises(grpc.RpcError) as caught:
        api.series.WriteTimeseries(
            sdk_write_request(session, table, T0, T0 + timedelta(hours=6), full_name=path),
            timeout=DEADLINE_S,
        )
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION, caught.value.details()
    assert re.search(
        "(not found)|(target time series is not connected to a physical time series nor marked as session series)",
        caught.value.details(),
    )


def test_read_through_an_unconnected_attribute_without_expression(api, session, world):
    with pytest.raises(grpc.RpcError) as caught:
        api.read(session, world["raw_path"], T0, T0 + timedelta(hours=3))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION, caught.value.details()


# --- 5. commit ------------------------------------------------------------------------


def test_committed_connection_is_seen_by_a_new_session(api, world):
    s = api.open()
    name = unique("Committed")
    component = api.create_component(s, world, name)
    raw = next(a for a in component.attributes if a.name == "TsRawAtt")
    raw_path = f"{world['model_path']}/{name}.TsRawAtt"
    assert raw.path == raw_path
    target = {"id": sdk_uuid(raw.id), "path": raw_path}
    created = api.create_series(s, curve=Curve.STAIRCASESTARTOFSTEP)
    key = created.timeseries_key
    api.update_timeseries_attribute(s, target, new_timeseries_resource_key=key)
    table = sdk_table(POINTS)
    api.series.WriteTimeseries(
        sdk_write_request(s, table, T0, T0 + timedelta(hours=6), uuid_id=target["id"], full_name=raw_path),
        timeout=DEADLINE_S,
    )
    api.commit(s)

    fresh = api.open()
    attribute = api.get_attribute(fresh, raw_path, full_attribute_info=True)
    assert attribute["id"] == target["id"]
    assert attribute["time_series_resource"] == sdk_resource(api.get_resource(fresh, key))
    assert attribute["time_series_resource"]["timeseries_key"] == key
    assert attribute["time_series_resource"]["path"] == created.path
    through = sdk_read_reply(api.read(fresh, target, T0, T0 + timedelta(hours=6)))
    assert through["table"].equals(table)
    assert through["uuid"] == target["id"]
    assert through["path"] == raw_path
    assert through["timskey"] == 0
