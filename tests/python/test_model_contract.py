"""The official Python SDK's view of the model: ModelService and the model it serves.

The test model of the SDK's own tests ("SimpleThermalTestRepository" /
"SimpleThermalTestModel") is built here through the API, once per module,
and committed. Every request below is shaped as the SDK shapes it
(docs/sdk-contract.md: MeshIds with only a path, only an id or both,
the SDK's basic attribute field mask, the empty AttributesMasks it always
sends, ...), and every reply field the SDK reads is read the way it reads
it (uuid.UUID(bytes_le=...) of every id, WhichOneof on values, ...). Error
texts are matched with re.search, as the SDK's tests match them.

The server is shared by the whole pytest run: tests that change the shared
model do so in their own session and roll back; tests that must commit
work on objects of their own (a "sandbox" component with a unique name).
"""

import re
import sys
import uuid
from datetime import datetime, timezone

import grpc
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
from volue.mesh.proto.type import resources_pb2

DEADLINE_S = 10

REPOSITORY = "SimpleThermalTestRepository"
MODEL = "SimpleThermalTestModel"
MODEL_PATH = f"Model/{MODEL}"
COMPONENT_PATH = f"{MODEL_PATH}/ThermalComponent"
PLANTS_ATTR_PATH = f"{COMPONENT_PATH}.ThermalPowerToPlantRef"
PLANT_PATH = f"{PLANTS_ATTR_PATH}/SomePowerPlant1"
PLANT_SHORT_PATH = f"{COMPONENT_PATH}/SomePowerPlant1"
CHIMNEYS_ATTR_PATH = f"{PLANT_PATH}.PlantToChimneyRef"
CHIMNEY1_PATH = f"{CHIMNEYS_ATTR_PATH}/SomePowerPlantChimney1"
CHIMNEY2_PATH = f"{CHIMNEYS_ATTR_PATH}/SomePowerPlantChimney2"
DEF_ROOT = f"Repository/{REPOSITORY}"

# The SDK's "basic view" attribute field mask (full_attribute_info=False).
BASIC_ATTRIBUTE_MASK = ["id", "path", "name", "values", "value_type", "value_type_collection", "owner_id"]
# The SDK's object field mask for return_no_attributes=True.
NO_ATTRIBUTES_OBJECT_MASK = ["id", "path", "name", "type_name", "owner_id", "object_definition_id", "name_space_id"]

DBL_MAX = sys.float_info.max
UTC_DEFAULT = datetime(2022, 5, 10, 7, 24, 15, tzinfo=timezone.utc)

VT = mdr.AttributeValueType
# How the SDK picks the attribute class: by value_type only.
SDK_CLASSES = {
    VT.ATTRIBUTE_VALUE_TYPE_INT: "SimpleAttribute",
    VT.ATTRIBUTE_VALUE_TYPE_DOUBLE: "SimpleAttribute",
    VT.ATTRIBUTE_VALUE_TYPE_BOOL: "SimpleAttribute",
    VT.ATTRIBUTE_VALUE_TYPE_STRING: "SimpleAttribute",
    VT.ATTRIBUTE_VALUE_TYPE_UTC_TIME: "SimpleAttribute",
    VT.ATTRIBUTE_VALUE_TYPE_TIMESERIES: "TimeseriesAttribute",
    VT.ATTRIBUTE_VALUE_TYPE_OWNERSHIP_RELATION: "OwnershipRelationAttribute",
    VT.ATTRIBUTE_VALUE_TYPE_LINK_RELATION: "LinkRelationAttribute",
    VT.ATTRIBUTE_VALUE_TYPE_VERSIONED_LINK_RELATION: "VersionedLinkRelationAttribute",
}
SIMPLE_DEFINITION_ONEOFS = {
    "int_definition", "double_definition", "boolean_definition", "string_definition", "utc_time_definition",
}

# Regexes the SDK's tests match.
OBJECT_TARGET_ERROR = r"(not found)|(invalid type)"
ATTRIBUTE_TARGET_ERROR = r"(not found)|(Invalid type)"
OWNER_TARGET_ERROR = r"(New o|O)wner of the object not found|Invalid type of the (new )?owner"


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


# --- requests as the SDK builds them -------------------------------------------------


def sdk_id(target) -> resources_pb2.MeshId:
    """MeshId as the SDK builds it: str -> path only, UUID -> id only,
    an SDK instance (here: a dict with id and path) -> both."""
    if isinstance(target, str):
        return resources_pb2.MeshId(path=target)
    if isinstance(target, uuid.UUID):
        return resources_pb2.MeshId(id=to_guid(target))
    return resources_pb2.MeshId(id=to_guid(target["id"]), path=target["path"])


def mask(paths):
    return field_mask_pb2.FieldMask(paths=list(paths))


def sdk_attributes_masks(names=None, tags=None, namespaces=None):
    """Always present, empty when there is no filter."""
    masks = model_resources_pb2.AttributesMasks()
    if names is not None:
        masks.name_mask.CopyFrom(mask(names))
    if tags is not None:
        masks.tag_mask.CopyFrom(mask(tags))
    if namespaces is not None:
        masks.namespace_mask.CopyFrom(mask(namespaces))
    return masks


def sdk_object_masks(full_attribute_info=False, return_no_attributes=False, filter=None):
    kwargs = {"attributes_masks": sdk_attributes_masks(**(filter or {}))}
    if return_no_attributes:
        kwargs["object_field_mask"] = mask(NO_ATTRIBUTES_OBJECT_MASK)
    elif not full_attribute_info:
        kwargs["attribute_field_mask"] = mask(BASIC_ATTRIBUTE_MASK)
    return kwargs


def sdk_value(value) -> model_resources_pb2.AttributeValue:
    """By exact Python type, as the SDK maps values."""
    if type(value) is bool:
        return model_resources_pb2.AttributeValue(boolean_value=value)
    if type(value) is int:
        return model_resources_pb2.AttributeValue(int_value=value)
    if type(value) is float:
        return model_resources_pb2.AttributeValue(double_value=value)
    if type(value) is str:
        return model_resources_pb2.AttributeValue(string_value=value)
    if isinstance(value, datetime):
        moment = value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(moment)
        return model_resources_pb2.AttributeValue(utc_time_value=stamp)
    raise RuntimeError(f"the SDK has no mapping for {type(value)}")


# --- replies as the SDK reads them ---------------------------------------------------


def sdk_uuid(guid) -> uuid.UUID:
    # Raises ValueError unless exactly 16 bytes, as in the SDK.
    return uuid.UUID(bytes_le=guid.bytes_le)


def sdk_decode_value(value):
    kind = value.WhichOneof("value_oneof")
    assert kind is not None, "an AttributeValue with no oneof set crashes the SDK"
    if kind == "utc_time_value":
        return value.utc_time_value.ToDatetime(tzinfo=timezone.utc)
    return getattr(value, kind)


def sdk_definition(definition):
    result = {
        "id": sdk_uuid(definition.id),
        "path": definition.path,
        "name": definition.name,
        "description": definition.description,
        "tags": [t.name for t in definition.tags],
        "namespace": definition.name_space,
        "type_name": definition.type_name,
        "minimum_cardinality": definition.minimum_cardinality,
        "maximum_cardinality": definition.maximum_cardinality,
    }
    return result


def sdk_attribute(attribute):
    """_from_proto_attribute, reduced to what matters on the wire."""
    result = {
        "class": SDK_CLASSES.get(attribute.value_type, "AttributeBase"),
        "id": sdk_uuid(attribute.id),
        "path": attribute.path,
        "name": attribute.name,
        # Read unconditionally by the SDK.
        "owner_id": sdk_uuid(attribute.owner_id.id),
        "owner_path": attribute.owner_id.path,
        "definition": None,
        "value_type": attribute.value_type,
        "collection": attribute.value_type_collection,
    }
    if attribute.HasField("definition"):
        definition = sdk_definition(attribute.definition)
        oneof = attribute.definition.WhichOneof("definition_type_oneof")
        definition["oneof"] = oneof
        if result["class"] == "SimpleAttribute":
            assert oneof in SIMPLE_DEFINITION_ONEOFS, f"{attribute.name}: simple definition oneof is {oneof}"
            sub = getattr(attribute.definition, oneof)
            present = {field.name: value for field, value in sub.ListFields()}
            definition["default_value"] = present.get("default_value")
            definition["minimum_value"] = present.get("minimum_value")
            definition["maximum_value"] = present.get("maximum_value")
            unit = present.get("unit_of_measurement")
            definition["unit"] = unit.name if unit is not None else None
        elif result["class"] == "OwnershipRelationAttribute":
            definition["target_object_type_name"] = (
                attribute.definition.ownership_relation_definition.target_object_type_name
            )
        result["definition"] = definition
    if result["class"] == "SimpleAttribute":
        if attribute.value_type_collection:
            result["value"] = [sdk_decode_value(v) for v in attribute.values]
        else:
            result["value"] = sdk_decode_value(attribute.values[0]) if attribute.values else None
        result["kinds"] = [v.WhichOneof("value_oneof") for v in attribute.values]
    elif result["class"] == "OwnershipRelationAttribute":
        result["target_object_ids"] = [
            sdk_uuid(v.ownership_relation_value.target_object_id) for v in attribute.values
        ]
    return result


def sdk_object(obj):
    result = {
        "id": sdk_uuid(obj.id),
        "path": obj.path,
        "name": obj.name,
        "type_name": obj.type_name,
        "owner_id": None,
        "owner_path": None,
        "attributes": {},
    }
    if obj.HasField("owner_id"):
        result["owner_id"] = sdk_uuid(obj.owner_id.id)
        result["owner_path"] = obj.owner_id.path
    for attribute in sorted(obj.attributes, key=lambda a: a.name.lower()):
        assert attribute.name not in result["attributes"], f"duplicate attribute {attribute.name}"
        result["attributes"][attribute.name] = sdk_attribute(attribute)
    return result


# --- the API -------------------------------------------------------------------------


class Api:
    def __init__(self, channel):
        self.sessions = session_pb2_grpc.SessionServiceStub(channel)
        self.model = model_pb2_grpc.ModelServiceStub(channel)
        self.defs = model_definition_pb2_grpc.ModelDefinitionServiceStub(channel)
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
                pass  # expired or already ended
        self.opened.clear()

    def commit(self, session):
        self.sessions.Commit(to_guid(session), timeout=DEADLINE_S)

    def rollback(self, session):
        self.sessions.Rollback(to_guid(session), timeout=DEADLINE_S)

    # The SDK's calls.

    def list_models(self, session):
        reply = self.model.ListModels(model_pb2.ListModelsRequest(session_id=to_guid(session)), timeout=DEADLINE_S)
        return [sdk_object(m) for m in reply.models]

    def get_object(self, session, target, **masks):
        reply = self.model.GetObject(
            model_pb2.GetObjectRequest(session_id=to_guid(session), object_id=sdk_id(target), **sdk_object_masks(**masks)),
            timeout=DEADLINE_S,
        )
        return sdk_object(reply)

    def search_objects(self, session, target, query, **masks):
        replies = self.model.SearchObjects(
            model_pb2.SearchObjectsRequest(
                session_id=to_guid(session), start_object_id=sdk_id(target), query=query, **sdk_object_masks(**masks)
            ),
            timeout=DEADLINE_S,
        )
        return [sdk_object(o) for o in replies]

    def create_object(self, session, owner, name):
        reply = self.model.CreateObject(
            model_pb2.CreateObjectRequest(session_id=to_guid(session), owner_id=sdk_id(owner), name=name),
            timeout=DEADLINE_S,
        )
        return sdk_object(reply)

    def update_object(self, session, target, new_name=None, new_owner=None):
        request = model_pb2.UpdateObjectRequest(session_id=to_guid(session), object_id=sdk_id(target))
        paths = []
        if new_owner is not None:
            request.new_owner_id.CopyFrom(sdk_id(new_owner))
            paths.append("new_owner_id")
        if new_name is not None:
            request.new_name = new_name
            paths.append("new_name")
        request.field_mask.CopyFrom(mask(paths))
        self.model.UpdateObject(request, timeout=DEADLINE_S)

    def delete_object(self, session, target, recursive_delete=False):
        self.model.DeleteObject(
            model_pb2.DeleteObjectRequest(
                session_id=to_guid(session), object_id=sdk_id(target), recursive_delete=recursive_delete
            ),
            timeout=DEADLINE_S,
        )

    def get_attribute(self, session, target, full_attribute_info=False):
        request = model_pb2.GetAttributeRequest(session_id=to_guid(session), attribute_id=sdk_id(target))
        if not full_attribute_info:
            request.field_mask.CopyFrom(mask(BASIC_ATTRIBUTE_MASK))
        return sdk_attribute(self.model.GetAttribute(request, timeout=DEADLINE_S))

    def search_attributes(self, session, target, query, full_attribute_info=False):
        request = model_pb2.SearchAttributesRequest(
            session_id=to_guid(session), start_object_id=sdk_id(target), query=query
        )
        if not full_attribute_info:
            request.field_mask.CopyFrom(mask(BASIC_ATTRIBUTE_MASK))
        return [sdk_attribute(a) for a in self.model.SearchAttributes(request, timeout=DEADLINE_S)]

    def update_simple_attribute(self, session, target, value):
        request = model_pb2.UpdateSimpleAttributeRequest(session_id=to_guid(session), attribute_id=sdk_id(target))
        if isinstance(value, list):
            for element in value:
                request.new_collection_values.append(sdk_value(element))
        else:
            request.new_singular_value.CopyFrom(sdk_value(value))
        self.model.UpdateSimpleAttribute(request, timeout=DEADLINE_S)


def raises(call, pattern):
    """Runs `call`, expecting a gRPC error whose text matches `pattern` the
    way the SDK's tests match it (re.search, case-sensitive)."""
    with pytest.raises(grpc.RpcError) as caught:
        call()
    details = caught.value.details() or ""
    assert re.search(pattern, details), f"{pattern!r} not in {details!r} ({caught.value.code()})"
    return caught.value


# --- building the SDK's test model through the API -----------------------------------


def build_test_model(api: Api):
    """The part of the SDK's test model the simple/ownership tests use."""
    s = api.open()
    sid = to_guid(s)
    d = api.defs

    repository = d.CreateNamespace(mdp.CreateNamespaceRequest(session_id=sid, name=REPOSITORY), timeout=DEADLINE_S)
    assert repository.is_model_definition
    assert repository.path == DEF_ROOT
    ns = resources_pb2.MeshId(path=DEF_ROOT)

    definitions = {}
    for name in ("PlantElementType", "ChimneyElementType", "ComponentType"):
        definitions[name] = d.CreateObjectDefinition(
            mdp.CreateObjectDefinitionRequest(session_id=sid, name_space_id=ns, name=name), timeout=DEADLINE_S
        )
        assert definitions[name].path == f"{DEF_ROOT}/{name}"

    tags = [
        d.CreateTag(mdp.CreateTagRequest(session_id=sid, model_definition=ns, name=t), timeout=DEADLINE_S).id
        for t in ("Tag1", "Tag3")
    ]

    def simple_type(name, value_type, tag_ids=()):
        return d.CreateSimpleAttributeType(
            mdp.CreateSimpleAttributeTypeRequest(
                session_id=sid, name_space_id=ns, name=name, value_type=value_type, tag_ids=list(tag_ids)
            ),
            timeout=DEADLINE_S,
        )

    types = {
        "DblAtt": simple_type("DblAtt", VT.ATTRIBUTE_VALUE_TYPE_DOUBLE, tags),
        "Int64Att": simple_type("Int64Att", VT.ATTRIBUTE_VALUE_TYPE_INT),
        "BoolAtt": simple_type("BoolAtt", VT.ATTRIBUTE_VALUE_TYPE_BOOL),
        "StringAtt": simple_type("StringAtt", VT.ATTRIBUTE_VALUE_TYPE_STRING),
        "UtcDateTimeAtt": simple_type("UtcDateTimeAtt", VT.ATTRIBUTE_VALUE_TYPE_UTC_TIME),
        "BoolArrayAtt": simple_type("BoolArrayAtt", VT.ATTRIBUTE_VALUE_TYPE_BOOL),
    }
    utc_default = timestamp_pb2.Timestamp()
    utc_default.FromDatetime(UTC_DEFAULT.replace(tzinfo=None))

    def add_simple(object_definition, type_name, cardinality=1, default=None, lower=None, upper=None, description=""):
        request = mdp.AddSimpleAttributeDefinitionRequest(
            session_id=sid,
            attribute_type_id=resources_pb2.MeshId(id=types[type_name].id),
            object_definition_id=resources_pb2.MeshId(path=f"{DEF_ROOT}/{object_definition}"),
            description=description,
            cardinality=cardinality,
        )
        if default is not None:
            request.default_value.CopyFrom(default)
        if lower is not None:
            request.lower_threshold.CopyFrom(lower)
        if upper is not None:
            request.upper_threshold.CopyFrom(upper)
        return d.AddSimpleAttributeDefinition(request, timeout=DEADLINE_S)

    Default = mdr.AttributeDefinitionDefaultValue
    Threshold = mdr.AttributeDefinitionThresholdValue
    for owner in ("PlantElementType", "ChimneyElementType"):
        added = add_simple(
            owner, "DblAtt", default=Default(double_value=1000.0),
            lower=Threshold(double_value=-DBL_MAX), upper=Threshold(double_value=DBL_MAX),
        )
        assert added.path == f"{DEF_ROOT}/{owner}/DblAtt"
    add_simple("PlantElementType", "Int64Att", default=Default(int_value=64))
    add_simple("PlantElementType", "BoolAtt", default=Default(boolean_value=True))
    add_simple("PlantElementType", "StringAtt", default=Default(string_value="Default string value"))
    add_simple("PlantElementType", "UtcDateTimeAtt", default=Default(utc_time_value=utc_default))
    add_simple("PlantElementType", "BoolArrayAtt", cardinality=10, description="Array of bools")

    def ownership(name, owner, target, cardinality):
        created = d.CreateOwnershipRelationAttributeType(
            mdp.CreateRelationAttributeTypeRequest(
                session_id=sid, name_space_id=ns, name=name,
                target_object_definition_id=resources_pb2.MeshId(path=f"{DEF_ROOT}/{target}"),
            ),
            timeout=DEADLINE_S,
        )
        d.AddOwnershipRelationAttributeDefinition(
            mdp.AddOwnershipRelationAttributeDefinitionRequest(
                session_id=sid,
                attribute_type_id=resources_pb2.MeshId(id=created.id),
                object_definition_id=resources_pb2.MeshId(path=f"{DEF_ROOT}/{owner}"),
                cardinality=cardinality,
            ),
            timeout=DEADLINE_S,
        )

    ownership("ThermalPowerToPlantRef", "ComponentType", "PlantElementType", 100)
    ownership("PlantToChimneyRef", "PlantElementType", "ChimneyElementType", 100)
    ownership("SimpleOwnershipAtt", "PlantElementType", "ChimneyElementType", 1)

    model = api.model.CreateModel(
        model_pb2.CreateModelRequest(session_id=sid, name=MODEL, model_definition_id=resources_pb2.MeshId(path=DEF_ROOT)),
        timeout=DEADLINE_S,
    )
    model_id = sdk_uuid(model.id)
    component = api.model.CreateObject(
        model_pb2.CreateObjectRequest(
            session_id=sid, name="ThermalComponent",
            owner_id=resources_pb2.MeshId(id=to_guid(model_id)),
            object_definition_id=resources_pb2.MeshId(path=f"{DEF_ROOT}/ComponentType"),
        ),
        timeout=DEADLINE_S,
    )
    # From here on exactly as the SDK: owner by attribute path, no definition.
    plant = api.create_object(s, PLANTS_ATTR_PATH, "SomePowerPlant1")
    chimney1 = api.create_object(s, CHIMNEYS_ATTR_PATH, "SomePowerPlantChimney1")
    chimney2 = api.create_object(s, CHIMNEYS_ATTR_PATH, "SomePowerPlantChimney2")
    # The SDK's tests expect these values on the plant.
    api.update_simple_attribute(s, f"{PLANT_PATH}.UtcDateTimeAtt", UTC_DEFAULT)
    api.update_simple_attribute(s, f"{PLANT_PATH}.BoolArrayAtt", [False, True, False, True, False])
    api.commit(s)
    api.close_all()
    component = sdk_object(component)
    return {
        "model": model_id,
        "component": component["id"],
        "plants_attr": component["attributes"]["ThermalPowerToPlantRef"]["id"],
        "plant": plant["id"],
        "chimneys_attr": plant["attributes"]["PlantToChimneyRef"]["id"],
        "chimney1": chimney1["id"],
        "chimney2": chimney2["id"],
        "dbl_att": plant["attributes"]["DblAtt"]["id"],
        "bool_array_att": plant["attributes"]["BoolArrayAtt"]["id"],
    }


@pytest.fixture(scope="module")
def ids(channel):
    api = Api(channel)
    try:
        yield build_test_model(api)
    finally:
        api.close_all()


@pytest.fixture
def api(channel, ids):
    api = Api(channel)
    yield api
    api.close_all()


@pytest.fixture
def session(api):
    return api.open()


def make_sandbox(api, ids):
    """A committed component of this test's own, with one plant, under the
    test model: tests that commit change it, never the shared objects."""
    s = api.open()
    name = unique("Sandbox")
    api.model.CreateObject(
        model_pb2.CreateObjectRequest(
            session_id=to_guid(s), name=name, owner_id=resources_pb2.MeshId(id=to_guid(ids["model"])),
            object_definition_id=resources_pb2.MeshId(path=f"{DEF_ROOT}/ComponentType"),
        ),
        timeout=DEADLINE_S,
    )
    plants = f"{MODEL_PATH}/{name}.ThermalPowerToPlantRef"
    plant = api.create_object(s, plants, "Plant")
    api.commit(s)
    return {"component_path": f"{MODEL_PATH}/{name}", "plants": plants, "plant": plant}


# --- models and objects --------------------------------------------------------------


def test_list_models_as_the_sdk_reads_them(api, session, ids):
    models = {m["name"]: m for m in api.list_models(session)}
    model = models[MODEL]
    assert model["id"] == ids["model"]
    assert model["path"] == MODEL_PATH
    assert model["type_name"] == REPOSITORY
    assert model["owner_id"] is None and model["owner_path"] is None
    assert len(model["attributes"]) == 1
    (attribute,) = model["attributes"].values()
    assert attribute["class"] == "OwnershipRelationAttribute"
    assert attribute["owner_id"] == ids["model"]
    assert ids["component"] in attribute["target_object_ids"]


def test_get_model_as_object_by_path_with_full_info(api, session, ids):
    model = api.get_object(session, MODEL_PATH, full_attribute_info=True)
    assert model["id"] == ids["model"]
    assert model["type_name"] == REPOSITORY
    assert model["owner_id"] is None
    assert len(model["attributes"]) == 1


def test_first_level_object_is_owned_by_the_model(api, session, ids):
    component = api.get_object(session, COMPONENT_PATH)
    assert component["id"] == ids["component"]
    assert component["path"] == COMPONENT_PATH
    assert component["type_name"] == "ComponentType"
    assert component["owner_id"] == ids["model"]
    assert component["owner_path"] == MODEL_PATH
    plants = component["attributes"]["ThermalPowerToPlantRef"]
    assert plants["class"] == "OwnershipRelationAttribute"
    assert plants["target_object_ids"] == [ids["plant"]]


@pytest.mark.parametrize("form", ["full path", "short path", "id", "id and path"])
def test_get_object_by_every_target_form(api, session, ids, form):
    target = {
        "full path": PLANT_PATH,
        "short path": PLANT_SHORT_PATH,
        "id": ids["plant"],
        "id and path": {"id": ids["plant"], "path": PLANT_PATH},
    }[form]
    plant = api.get_object(session, target)
    assert plant["id"] == ids["plant"]
    assert plant["path"] == PLANT_PATH
    assert plant["name"] == "SomePowerPlant1"
    assert plant["type_name"] == "PlantElementType"
    assert plant["owner_id"] == ids["plants_attr"]
    assert plant["owner_path"] == PLANTS_ATTR_PATH


def test_get_object_basic_view_has_no_definitions(api, session, ids):
    plant = api.get_object(session, PLANT_PATH)
    assert set(plant["attributes"]) == {
        "DblAtt", "Int64Att", "BoolAtt", "StringAtt", "UtcDateTimeAtt", "BoolArrayAtt",
        "PlantToChimneyRef", "SimpleOwnershipAtt",
    }
    for name, attribute in plant["attributes"].items():
        assert attribute["name"] == name
        assert attribute["path"] == f"{PLANT_PATH}.{name}"
        assert attribute["owner_id"] == ids["plant"]
        assert attribute["owner_path"] == PLANT_PATH
        assert attribute["definition"] is None, name
    attrs = plant["attributes"]
    assert attrs["DblAtt"]["value"] == 1000.0 and attrs["DblAtt"]["kinds"] == ["double_value"]
    assert attrs["Int64Att"]["value"] == 64 and attrs["Int64Att"]["kinds"] == ["int_value"]
    assert attrs["BoolAtt"]["value"] is True
    assert attrs["StringAtt"]["value"] == "Default string value"
    assert attrs["UtcDateTimeAtt"]["value"] == UTC_DEFAULT
    assert attrs["BoolArrayAtt"]["collection"] is True
    assert attrs["BoolArrayAtt"]["value"] == [False, True, False, True, False]
    assert attrs["DblAtt"]["collection"] is False
    chimneys = attrs["PlantToChimneyRef"]
    assert chimneys["class"] == "OwnershipRelationAttribute"
    assert chimneys["collection"] is True
    assert set(chimneys["target_object_ids"]) == {ids["chimney1"], ids["chimney2"]}
    assert attrs["SimpleOwnershipAtt"]["target_object_ids"] == []
    assert attrs["SimpleOwnershipAtt"]["collection"] is False


def test_get_object_full_view_has_definitions(api, session, ids):
    plant = api.get_object(session, ids["plant"], full_attribute_info=True)
    expected_type_names = {
        "DblAtt": "DoubleAttributeDefinition",
        "Int64Att": "Int64AttributeDefinition",
        "BoolAtt": "BooleanAttributeDefinition",
        "StringAtt": "StringAttributeDefinition",
        "UtcDateTimeAtt": "UtcDateTimeAttributeDefinition",
        "BoolArrayAtt": "BooleanArrayAttributeDefinition",
        "PlantToChimneyRef": "ElementCollectionAttributeDefinition",
        "SimpleOwnershipAtt": "ElementAttributeDefinition",
    }
    for name, attribute in plant["attributes"].items():
        definition = attribute["definition"]
        assert definition is not None, name
        assert definition["path"] == f"{DEF_ROOT}/PlantElementType/{name}"
        assert definition["name"] == name
        assert definition["namespace"] == REPOSITORY
        assert definition["type_name"] == expected_type_names[name]
    attrs = plant["attributes"]
    dbl = attrs["DblAtt"]["definition"]
    assert (dbl["minimum_cardinality"], dbl["maximum_cardinality"]) == (1, 1)
    assert dbl["default_value"] == 1000.0
    assert dbl["minimum_value"] == -DBL_MAX and dbl["maximum_value"] == DBL_MAX
    assert dbl["unit"] is None
    assert sorted(dbl["tags"]) == ["Tag1", "Tag3"]
    assert attrs["Int64Att"]["definition"]["default_value"] == 64
    assert attrs["BoolAtt"]["definition"]["default_value"] is True
    assert attrs["StringAtt"]["definition"]["default_value"] == "Default string value"
    utc = attrs["UtcDateTimeAtt"]["definition"]
    assert utc["default_value"] == "UTC20220510072415"
    assert utc["minimum_value"] is None and utc["maximum_value"] is None
    array = attrs["BoolArrayAtt"]["definition"]
    assert (array["minimum_cardinality"], array["maximum_cardinality"]) == (0, 10)
    assert array["description"] == "Array of bools"
    chimneys = attrs["PlantToChimneyRef"]["definition"]
    assert chimneys["target_object_type_name"] == "ChimneyElementType"
    assert (chimneys["minimum_cardinality"], chimneys["maximum_cardinality"]) == (0, 100)
    single = attrs["SimpleOwnershipAtt"]["definition"]
    assert single["target_object_type_name"] == "ChimneyElementType"
    assert (single["minimum_cardinality"], single["maximum_cardinality"]) == (1, 1)


def test_get_object_attribute_filters(api, session, ids):
    named = api.get_object(session, PLANT_PATH, filter={"names": ["StringAtt", "BoolArrayAtt"]})
    assert sorted(named["attributes"]) == ["BoolArrayAtt", "StringAtt"]
    none = api.get_object(session, PLANT_PATH, filter={"namespaces": ["NON_EXISTING"]})
    assert none["attributes"] == {}
    tagged = api.get_object(session, PLANT_PATH, filter={"tags": ["Tag1"]})
    assert list(tagged["attributes"]) == ["DblAtt"]


def test_get_object_return_no_attributes(api, session, ids):
    plant = api.get_object(session, {"id": ids["plant"], "path": PLANT_PATH}, return_no_attributes=True)
    assert plant["attributes"] == {}
    assert plant["path"] == PLANT_PATH
    assert plant["name"] == "SomePowerPlant1"
    assert plant["type_name"] == "PlantElementType"
    assert plant["owner_id"] == ids["plants_attr"]
    assert plant["owner_path"] == PLANTS_ATTR_PATH


@pytest.mark.parametrize("owner_form", ["path", "id", "instance"])
def test_create_object_derives_type_from_owner_attribute(api, session, ids, owner_form):
    owner = {"path": CHIMNEYS_ATTR_PATH, "id": ids["chimneys_attr"],
             "instance": {"id": ids["chimneys_attr"], "path": CHIMNEYS_ATTR_PATH}}[owner_form]
    created = api.create_object(session, owner, "NewChimney")
    assert created["path"] == f"{CHIMNEYS_ATTR_PATH}/NewChimney"
    assert created["name"] == "NewChimney"
    assert created["type_name"] == "ChimneyElementType"
    assert created["owner_id"] == ids["chimneys_attr"]
    assert created["owner_path"] == CHIMNEYS_ATTR_PATH
    # Unmasked: attributes with definitions, usable as later targets.
    dbl = created["attributes"]["DblAtt"]
    assert dbl["path"] == f"{created['path']}.DblAtt"
    assert dbl["owner_id"] == created["id"]
    assert dbl["definition"] is not None
    assert dbl["value"] == 1000.0
    again = api.get_object(session, created["id"])
    for key in ("id", "path", "name", "type_name", "owner_id", "owner_path"):
        assert again[key] == created[key], key
    api.rollback(session)
    raises(lambda: api.get_object(session, created["id"]), r"object not found:")


def test_create_object_into_a_singular_ownership_attribute(api, session, ids):
    created = api.create_object(session, f"{PLANT_PATH}.SimpleOwnershipAtt", "Lonely")
    assert created["type_name"] == "ChimneyElementType"
    assert created["path"] == f"{PLANT_PATH}.SimpleOwnershipAtt/Lonely"
    plant = api.get_object(session, PLANT_PATH)
    assert plant["attributes"]["SimpleOwnershipAtt"]["target_object_ids"] == [created["id"]]
    api.rollback(session)


def test_create_object_with_a_taken_name(api, session, ids):
    raises(
        lambda: api.create_object(session, CHIMNEYS_ATTR_PATH, "SomePowerPlantChimney1"),
        r"An element named SomePowerPlantChimney1 already exists in the PlantToChimneyRef element array",
    )


@pytest.mark.parametrize("target_form", ["path", "id"])
@pytest.mark.parametrize("owner_form", ["path", "id"])
def test_update_object_moves_and_renames(api, session, ids, target_form, owner_form):
    target = {"path": CHIMNEY2_PATH, "id": ids["chimney2"]}[target_form]
    new_owner_path = f"{PLANT_PATH}.SimpleOwnershipAtt"
    if owner_form == "path":
        new_owner = new_owner_path
    else:
        new_owner = api.get_attribute(session, new_owner_path)["id"]
    api.update_object(session, target, new_name="Moved", new_owner=new_owner)
    moved = api.get_object(session, ids["chimney2"])
    assert moved["name"] == "Moved"
    assert moved["path"] == f"{new_owner_path}/Moved"
    assert moved["owner_path"] == new_owner_path
    plant = api.get_object(session, PLANT_PATH)
    assert plant["attributes"]["PlantToChimneyRef"]["target_object_ids"] == [ids["chimney1"]]
    assert plant["attributes"]["SimpleOwnershipAtt"]["target_object_ids"] == [ids["chimney2"]]
    api.rollback(session)
    assert api.get_object(session, ids["chimney2"])["path"] == CHIMNEY2_PATH


def test_update_object_rename_only(api, session, ids):
    api.update_object(session, ids["chimney1"], new_name="Renamed")
    renamed = api.get_object(session, ids["chimney1"])
    assert renamed["path"] == f"{CHIMNEYS_ATTR_PATH}/Renamed"
    api.delete_object(session, f"{CHIMNEYS_ATTR_PATH}/Renamed")
    raises(lambda: api.get_object(session, ids["chimney1"]), r"object not found:")
    api.rollback(session)


@pytest.mark.parametrize("form", ["path", "id"])
def test_delete_leaf_object(api, session, ids, form):
    target = {"path": CHIMNEY2_PATH, "id": ids["chimney2"]}[form]
    api.delete_object(session, target)
    raises(lambda: api.get_object(session, CHIMNEY2_PATH), r"object not found:")
    raises(lambda: api.get_object(session, ids["chimney2"]), r"object not found:")
    api.rollback(session)
    assert api.get_object(session, ids["chimney2"])["name"] == "SomePowerPlantChimney2"


@pytest.mark.parametrize("form", ["path", "id"])
def test_delete_object_with_children_needs_recursive(api, session, ids, form):
    target = {"path": PLANT_PATH, "id": ids["plant"]}[form]
    raises(lambda: api.delete_object(session, target), r"has child objects")
    api.delete_object(session, target, recursive_delete=True)
    for gone in (ids["plant"], ids["chimney1"], ids["chimney2"]):
        raises(lambda: api.get_object(session, gone), r"object not found:")
    api.rollback(session)
    assert api.get_object(session, ids["plant"])["path"] == PLANT_PATH


def test_singular_ownership_child_does_not_block_delete(api, session, ids):
    plant = api.create_object(session, PLANTS_ATTR_PATH, unique("Plant"))
    child = api.create_object(session, plant["attributes"]["SimpleOwnershipAtt"], "Child")
    api.delete_object(session, plant["path"], recursive_delete=False)
    raises(lambda: api.get_object(session, plant["id"]), r"object not found")
    raises(lambda: api.get_object(session, child["id"]), r"object not found")
    api.rollback(session)


# --- invalid targets -----------------------------------------------------------------


OBJECT_API_BAD_TARGETS = [PLANTS_ATTR_PATH, "non_existing_path", "random uuid"]


def _bad(target):
    return uuid.uuid4() if target == "random uuid" else target


@pytest.mark.parametrize("target", OBJECT_API_BAD_TARGETS)
def test_object_apis_with_invalid_target(api, session, target):
    target = _bad(target)
    raises(lambda: api.get_object(session, target), OBJECT_TARGET_ERROR)
    raises(lambda: api.search_objects(session, target, "{*}.DblAtt"), OBJECT_TARGET_ERROR)
    raises(lambda: api.update_object(session, target, new_name="new_name"), OBJECT_TARGET_ERROR)
    raises(lambda: api.delete_object(session, target), OBJECT_TARGET_ERROR)
    raises(lambda: api.search_attributes(session, target, "{*}.DblAtt"), OBJECT_TARGET_ERROR)


def test_object_apis_with_an_attribute_id(api, session, ids):
    raises(lambda: api.get_object(session, ids["plants_attr"]), OBJECT_TARGET_ERROR)
    raises(lambda: api.delete_object(session, ids["dbl_att"]), OBJECT_TARGET_ERROR)


ATTRIBUTE_API_BAD_TARGETS = [PLANT_SHORT_PATH, "plant id", COMPONENT_PATH, "component id", "non_existing_path", "random uuid"]


def _bad_attribute_target(target, ids):
    return {"plant id": ids["plant"], "component id": ids["component"], "random uuid": uuid.uuid4()}.get(target, target)


@pytest.mark.parametrize("target", ATTRIBUTE_API_BAD_TARGETS)
def test_attribute_apis_with_invalid_target(api, session, ids, target):
    target = _bad_attribute_target(target, ids)
    raises(lambda: api.get_attribute(session, target), ATTRIBUTE_TARGET_ERROR)
    raises(lambda: api.get_attribute(session, target, full_attribute_info=True), ATTRIBUTE_TARGET_ERROR)
    raises(lambda: api.update_simple_attribute(session, target, "test"), ATTRIBUTE_TARGET_ERROR)


@pytest.mark.parametrize("target", ATTRIBUTE_API_BAD_TARGETS)
def test_create_and_update_object_with_invalid_owner(api, session, ids, target):
    target = _bad_attribute_target(target, ids)
    raises(lambda: api.create_object(session, target, "new_name"), OWNER_TARGET_ERROR)
    raises(lambda: api.update_object(session, CHIMNEY1_PATH, new_owner=target), OWNER_TARGET_ERROR)


# --- simple attributes ---------------------------------------------------------------


SIMPLE_UPDATES = [
    ("DblAtt", 5.0, 5.0, "double_value"),
    ("DblAtt", 13, 13.0, "double_value"),  # an int for a double, as the SDK sends it
    ("Int64Att", 70, 70, "int_value"),
    ("BoolAtt", False, False, "boolean_value"),
    ("StringAtt", "my test string attribute value", "my test string attribute value", "string_value"),
    ("UtcDateTimeAtt", datetime(2022, 5, 14, 13, 44, 45, tzinfo=timezone.utc),
     datetime(2022, 5, 14, 13, 44, 45, tzinfo=timezone.utc), "utc_time_value"),
    ("BoolArrayAtt", [False, False, True, False, False], [False, False, True, False, False], "boolean_value"),
]


@pytest.mark.parametrize("form", ["path", "id", "instance"])
@pytest.mark.parametrize("name,sent,expected,kind", SIMPLE_UPDATES, ids=lambda v: repr(v)[:20])
def test_update_simple_attribute(api, session, form, name, sent, expected, kind):
    path = f"{PLANT_PATH}.{name}"
    before = api.get_attribute(session, path)
    assert before["value"] != expected
    target = {"path": path, "id": before["id"], "instance": {"id": before["id"], "path": path}}[form]
    api.update_simple_attribute(session, target, sent)
    after = api.get_attribute(session, target)
    assert after["value"] == expected
    assert type(after["value"]) is type(expected)
    assert set(after["kinds"]) == {kind}
    assert after["id"] == before["id"]
    assert after["owner_id"] == before["owner_id"]
    api.rollback(session)
    assert api.get_attribute(session, path)["value"] == before["value"]


def test_update_simple_attribute_short_path(api, session, ids):
    api.update_simple_attribute(session, f"{PLANT_SHORT_PATH}.Int64Att", 80)
    assert api.get_attribute(session, f"{PLANT_PATH}.Int64Att")["value"] == 80
    api.update_simple_attribute(session, f"{PLANT_SHORT_PATH}/SomePowerPlantChimney1.DblAtt", 1.5)
    assert api.get_attribute(session, f"{CHIMNEY1_PATH}.DblAtt")["value"] == 1.5
    api.rollback(session)


def test_update_simple_attribute_singular_value_on_a_collection(api, session, ids):
    before = api.get_attribute(session, ids["bool_array_att"])["value"]
    raises(
        lambda: api.update_simple_attribute(session, ids["bool_array_att"], 7),
        r"Check if you correctly applied the singular value/collection values",
    )
    raises(
        lambda: api.update_simple_attribute(session, ids["dbl_att"], [1.0]),
        r"Check if you correctly applied the singular value/collection values",
    )
    assert api.get_attribute(session, ids["bool_array_att"])["value"] == before


def test_update_simple_attribute_empty_list_clears_a_collection(api, session, ids):
    api.update_simple_attribute(session, ids["bool_array_att"], [])
    cleared = api.get_attribute(session, ids["bool_array_att"])
    assert cleared["value"] == []
    api.rollback(session)


@pytest.mark.parametrize("full", [False, True])
def test_get_attribute_views(api, session, ids, full):
    attribute = api.get_attribute(session, f"{PLANT_PATH}.DblAtt", full_attribute_info=full)
    assert attribute["class"] == "SimpleAttribute"
    assert attribute["id"] == ids["dbl_att"]
    assert attribute["path"] == f"{PLANT_PATH}.DblAtt"
    assert attribute["owner_id"] == ids["plant"]
    assert attribute["owner_path"] == PLANT_PATH
    assert (attribute["definition"] is not None) == full
    ownership = api.get_attribute(session, CHIMNEYS_ATTR_PATH, full_attribute_info=full)
    assert ownership["class"] == "OwnershipRelationAttribute"
    assert set(ownership["target_object_ids"]) == {ids["chimney1"], ids["chimney2"]}


# --- search --------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["path", "id"])
def test_search_objects_by_type(api, session, ids, start):
    target = {"path": COMPONENT_PATH, "id": ids["component"]}[start]
    found = api.search_objects(session, target, "*[.Type=ChimneyElementType]")
    assert sorted(o["name"] for o in found) == ["SomePowerPlantChimney1", "SomePowerPlantChimney2"]
    for chimney in found:
        assert chimney["type_name"] == "ChimneyElementType"
        assert chimney["owner_id"] == ids["chimneys_attr"]
        assert list(chimney["attributes"]) == ["DblAtt"]
        assert chimney["attributes"]["DblAtt"]["definition"] is None


@pytest.mark.parametrize("full", [False, True])
def test_search_attributes_all_levels(api, session, ids, full):
    found = api.search_attributes(session, COMPONENT_PATH, "{*}.DblAtt", full_attribute_info=full)
    assert len(found) == 3
    assert {a["owner_id"] for a in found} == {ids["plant"], ids["chimney1"], ids["chimney2"]}
    assert f"{PLANT_PATH}.DblAtt" in {a["path"] for a in found}
    assert all((a["definition"] is not None) == full for a in found)


def test_search_attributes_with_an_absent_name(api, session, ids):
    found = api.search_attributes(session, MODEL_PATH, "*[.Name=SomePowerPlant1].DblAtt,ABSENT_ATTRIBUTE_NAME")
    assert [a["path"] for a in found] == [f"{PLANT_PATH}.DblAtt"]
    found = api.search_attributes(session, ids["model"], "*[.Name=SomePowerPlant1].DblAtt,Int64Att,BoolAtt")
    assert sorted(a["name"] for a in found) == ["BoolAtt", "DblAtt", "Int64Att"]


def test_search_with_a_malformed_query(api, session, ids):
    for call in (
        lambda: api.search_objects(session, COMPONENT_PATH, "*[.Name=SomePowerPlant1"),
        lambda: api.search_attributes(session, COMPONENT_PATH, "*[.Name=SomePowerPlant1"),
    ):
        error = raises(call, r"position \d+")
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


# --- sessions ------------------------------------------------------------------------


def test_uncommitted_object_is_invisible_to_other_sessions(api, ids):
    sandbox = make_sandbox(api, ids)
    s1, s2 = api.open(), api.open()
    created = api.create_object(s1, sandbox["plants"], "Fresh")
    raises(lambda: api.get_object(s2, created["path"]), r"not found")
    raises(lambda: api.get_object(s2, created["id"]), r"not found")
    api.commit(s1)
    seen = api.get_object(s2, created["id"])
    assert seen["path"] == f"{sandbox['plants']}/Fresh"


def test_rollback_discards_a_created_object(api, ids):
    sandbox = make_sandbox(api, ids)
    s = api.open()
    created = api.create_object(s, sandbox["plants"], "Discarded")
    api.rollback(s)
    raises(lambda: api.get_object(s, created["id"]), r"object not found")
    api.commit(s)
    other = api.open()
    raises(lambda: api.get_object(other, created["path"]), r"object not found")


def test_two_sessions_adding_the_same_object(api, ids):
    sandbox = make_sandbox(api, ids)
    s1, s2, s3 = api.open(), api.open(), api.open()
    api.create_object(s1, sandbox["plants"], "TestPlant")
    api.create_object(s2, sandbox["plants"], "TestPlant")
    api.commit(s1)
    raises(
        lambda: api.commit(s2),
        rf"session {re.escape(str(s2))} is corrupt due to changes done by some other session, "
        r"rollback your changes to fix your session",
    )
    # A session with no pending changes sees the commit at once.
    raises(
        lambda: api.create_object(s3, sandbox["plants"], "TestPlant"),
        r"An element named TestPlant already exists in the ThermalPowerToPlantRef element array",
    )
    api.rollback(s2)
    api.commit(s2)


def test_two_sessions_adding_child_after_removing_parent(api, ids):
    sandbox = make_sandbox(api, ids)
    plant = sandbox["plant"]
    s1, s2 = api.open(), api.open()
    api.create_object(s1, plant["attributes"]["SimpleOwnershipAtt"], "Child")
    api.delete_object(s2, plant["path"])
    api.commit(s2)
    raises(lambda: api.commit(s1), r"Missing owner")
    api.rollback(s1)
    raises(lambda: api.get_object(s1, plant["id"]), r"object not found")


def test_two_sessions_adding_child_after_removing_parent_and_commit(api, ids):
    sandbox = make_sandbox(api, ids)
    plant = sandbox["plant"]
    s1, s2 = api.open(), api.open()
    api.delete_object(s2, plant["id"])
    api.commit(s2)
    raises(
        lambda: api.create_object(s1, plant["attributes"]["SimpleOwnershipAtt"], "Child"),
        r"Owner of the object not found",
    )


def test_two_sessions_removing_the_same_object(api, ids):
    sandbox = make_sandbox(api, ids)
    plant = sandbox["plant"]
    s1, s2 = api.open(), api.open()
    api.delete_object(s1, plant["path"])
    api.delete_object(s2, plant["id"])
    api.commit(s1)
    api.commit(s2)
    other = api.open()
    raises(lambda: api.get_object(other, plant["id"]), r"object not found")
    raises(lambda: api.delete_object(other, plant["path"]), r"object not found")
