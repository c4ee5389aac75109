"""Link relations, XY sets, rating curves, linked-from search and cloning,
as the official Python SDK uses them (docs/sdk-contract.md).

A model of its own ("LinkTestRepository"/"LinkTestModel") is built through
the API once per module: a plant with two chimneys, and on the plant the
attributes the SDK's relation, XY set and rating curve tests use, with the
values those tests start from. Requests are shaped as the SDK shapes them
(MeshIds with only a path, only an id or both; a versioned one-to-one update
with an interval and zero or one entry; a one-to-many one without interval;
XY sets with valid_from_time unset when the SDK has none), and replies are
read as the SDK reads them: link targets from link_relation_value, versions
with target_object_id only when present, XY sets' valid_from_time only when
present. Error texts are matched as the SDK's tests match them. Each test
works in its own session and leaves the committed model as it was.
"""

import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest
from google.protobuf import timestamp_pb2

from guids import to_guid
from test_model_contract import DEADLINE_S, Api, mask, raises, sdk_attribute, sdk_id, sdk_object, sdk_uuid
from volue.mesh.proto.model.v1alpha import model_pb2
from volue.mesh.proto.model.v1alpha import resources_pb2 as mres
from volue.mesh.proto.model_definition.v1alpha import model_definition_pb2 as mdp
from volue.mesh.proto.model_definition.v1alpha import resources_pb2 as mdr
from volue.mesh.proto.type import resources_pb2

REPOSITORY = "LinkTestRepository"
DEF_ROOT = f"Repository/{REPOSITORY}"
MODEL_PATH = "Model/LinkTestModel"
COMPONENT_PATH = f"{MODEL_PATH}/Component"
PLANT_PATH = f"{COMPONENT_PATH}.Plants/Plant1"
CHIMNEYS = f"{PLANT_PATH}.PlantToChimneyRef"
PREFIX = f"{PLANT_PATH}."

VT = mdr.AttributeValueType
MIN = datetime(1, 1, 1, tzinfo=timezone.utc)
MAX = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


def ts(when):
    """Timestamp.FromDatetime, as the SDK fills one."""
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(when.astimezone(timezone.utc).replace(tzinfo=None))
    return stamp


def interval(start, end):
    return resources_pb2.UtcInterval(start_time=ts(start), end_time=ts(end))


def from_ts(stamp):
    """ToDatetime(tzinfo=UTC), as the SDK reads one."""
    return stamp.ToDatetime(tzinfo=timezone.utc)


# --- the calls as the SDK makes them and reads them ------------------------------------


class RelationsApi(Api):
    def link_targets(self, session, target):
        """LinkRelationAttribute.target_object_ids."""
        attribute = self._raw_attribute(session, target)
        assert attribute.value_type == VT.ATTRIBUTE_VALUE_TYPE_LINK_RELATION
        return [sdk_uuid(v.link_relation_value.target_object_id) for v in attribute.values]

    def link_entries(self, session, target):
        """VersionedLinkRelationAttribute.entries: per version (target or
        None, valid_from_time)."""
        attribute = self._raw_attribute(session, target)
        assert attribute.value_type == VT.ATTRIBUTE_VALUE_TYPE_VERSIONED_LINK_RELATION
        return [
            [
                (
                    sdk_uuid(v.target_object_id) if v.HasField("target_object_id") else None,
                    from_ts(v.valid_from_time),
                )
                for v in value.versioned_link_relation_value.versions
            ]
            for value in attribute.values
        ]

    def _raw_attribute(self, session, target):
        request = model_pb2.GetAttributeRequest(session_id=to_guid(session), attribute_id=sdk_id(target))
        request.field_mask.CopyFrom(mask(["id", "path", "name", "values", "value_type", "value_type_collection", "owner_id"]))
        return self.model.GetAttribute(request, timeout=DEADLINE_S)

    def update_links(self, session, target, ids, append=False):
        self.model.UpdateLinkRelationAttribute(
            model_pb2.UpdateLinkRelationAttributeRequest(
                session_id=to_guid(session), attribute=sdk_id(target), append=append,
                target_object_ids=[to_guid(i) for i in ids],
            ),
            timeout=DEADLINE_S,
        )

    @staticmethod
    def _versions(versions):
        result = []
        for target, valid_from in versions:
            version = mres.LinkRelationVersion()
            if target is not None:
                version.target_object_id.CopyFrom(to_guid(target))
            if valid_from is not None:
                version.valid_from_time.CopyFrom(ts(valid_from))
            result.append(version)
        return result

    def update_versioned_one_to_one(self, session, target, start, end, versions):
        request = model_pb2.UpdateVersionedLinkRelationAttributeRequest(
            session_id=to_guid(session), attribute=sdk_id(target), interval=interval(start, end)
        )
        if versions:
            request.entries.append(mres.VersionedLinkRelationAttributeValue(versions=self._versions(versions)))
        self.model.UpdateVersionedLinkRelationAttribute(request, timeout=DEADLINE_S)

    def update_versioned_one_to_many(self, session, target, entries):
        request = model_pb2.UpdateVersionedLinkRelationAttributeRequest(
            session_id=to_guid(session), attribute=sdk_id(target)
        )
        for entry in entries:
            request.entries.append(mres.VersionedLinkRelationAttributeValue(versions=self._versions(entry)))
        self.model.UpdateVersionedLinkRelationAttribute(request, timeout=DEADLINE_S)

    def get_xy_sets(self, session, target, start=None, end=None, versions_only=False):
        request = model_pb2.GetXySetsRequest(
            session_id=to_guid(session), attribute=sdk_id(target), versions_only=versions_only
        )
        if start is not None and end is not None:
            request.interval.CopyFrom(interval(start, end))
        reply = self.model.GetXySets(request, timeout=DEADLINE_S)
        return [
            (
                from_ts(s.valid_from_time) if s.HasField("valid_from_time") else None,
                [(c.reference_value, list(zip(c.x_values, c.y_values))) for c in s.xy_curves],
            )
            for s in reply.xy_sets
        ]

    def update_xy_sets(self, session, target, start=None, end=None, sets=()):
        request = model_pb2.UpdateXySetsRequest(session_id=to_guid(session), attribute=sdk_id(target))
        if start is not None and end is not None:
            request.interval.CopyFrom(interval(start, end))
        for valid_from, curves in sets:
            xy_set = mres.XySet()
            if valid_from is not None:
                xy_set.valid_from_time.CopyFrom(ts(valid_from))
            for z, pairs in curves:
                xy_set.xy_curves.append(
                    mres.XyCurve(reference_value=z, x_values=[p[0] for p in pairs], y_values=[p[1] for p in pairs])
                )
            request.xy_sets.append(xy_set)
        self.model.UpdateXySets(request, timeout=DEADLINE_S)

    def get_rating_curve(self, session, target, start, end, versions_only=False):
        reply = self.model.GetRatingCurveVersions(
            model_pb2.GetRatingCurveVersionsRequest(
                session_id=to_guid(session), attribute=sdk_id(target), interval=interval(start, end),
                versions_only=versions_only,
            ),
            timeout=DEADLINE_S,
        )
        return [
            (
                getattr(v, "from").ToDatetime(tzinfo=timezone.utc),
                v.x_range_from,
                [(s.x_range_until, s.factor_a, s.factor_b, s.factor_c) for s in v.x_value_segments],
            )
            for v in reply.versions
        ]

    def update_rating_curve(self, session, target, start, end, versions):
        request = model_pb2.UpdateRatingCurveVersionsRequest(
            session_id=to_guid(session), attribute=sdk_id(target), interval=interval(start, end)
        )
        for valid_from, x_from, segments in versions:
            version = mres.RatingCurveVersion(x_range_from=x_from)
            getattr(version, "from").CopyFrom(ts(valid_from))
            for until, a, b, c in segments:
                version.x_value_segments.append(
                    mres.RatingCurveSegment(x_range_until=until, factor_a=a, factor_b=b, factor_c=c)
                )
            request.versions.append(version)
        self.model.UpdateRatingCurveVersions(request, timeout=DEADLINE_S)


def version_1():
    return (utc(2000, 1, 1), 2.0, [((i + 1) * 10.0, 3 * i + 1.0, 3 * i + 2.0, 3 * i + 3.0) for i in range(3)])


def version_2():
    return (utc(2010, 1, 1), 4.0, [((i + 1) * 10.0 + 10, -(3 * i + 1.0), -(3 * i + 2.0), -(3 * i + 3.0)) for i in range(3)])


def generated_version(seed, when):
    """A rating curve version as the SDK's tests generate them."""
    x, segments = 0.0, []
    for i in range(seed):
        segments.append((2 * x + seed + 1, x + seed + i, x - seed + i, -x - seed + i))
        x += 0.5
    return (when, x, segments)


# --- the model -----------------------------------------------------------------------


def build(api: RelationsApi):
    s = api.open()
    sid = to_guid(s)
    d = api.defs
    d.CreateNamespace(mdp.CreateNamespaceRequest(session_id=sid, name=REPOSITORY), timeout=DEADLINE_S)
    ns = resources_pb2.MeshId(path=DEF_ROOT)
    for name in ("ComponentType", "PlantElementType", "ChimneyElementType"):
        d.CreateObjectDefinition(
            mdp.CreateObjectDefinitionRequest(session_id=sid, name_space_id=ns, name=name), timeout=DEADLINE_S
        )

    def definition(name):
        return resources_pb2.MeshId(path=f"{DEF_ROOT}/{name}")

    def relation_type(create, name, target):
        return create(
            mdp.CreateRelationAttributeTypeRequest(
                session_id=sid, name_space_id=ns, name=name, target_object_definition_id=definition(target)
            ),
            timeout=DEADLINE_S,
        ).id

    for name, owner, target, cardinality in (
        ("Plants", "ComponentType", "PlantElementType", 100),
        ("PlantToChimneyRef", "PlantElementType", "ChimneyElementType", 100),
    ):
        d.AddOwnershipRelationAttributeDefinition(
            mdp.AddOwnershipRelationAttributeDefinitionRequest(
                session_id=sid, attribute_type_id=resources_pb2.MeshId(id=relation_type(d.CreateOwnershipRelationAttributeType, name, target)),
                object_definition_id=definition(owner), cardinality=cardinality,
            ),
            timeout=DEADLINE_S,
        )
    for name, cardinality, versioned in (
        ("SimpleReference", 1, False),
        ("PlantToChimneyRefCollection", 100, False),
        ("ReferenceSeriesAtt", 1, True),
        ("ReferenceSeriesCollectionAtt", 10, True),
    ):
        d.AddLinkRelationAttributeDefinition(
            mdp.AddLinkRelationAttributeDefinitionRequest(
                session_id=sid,
                attribute_type_id=resources_pb2.MeshId(id=relation_type(d.CreateLinkRelationAttributeType, name, "ChimneyElementType")),
                object_definition_id=definition("PlantElementType"), cardinality=cardinality, versioned=versioned,
            ),
            timeout=DEADLINE_S,
        )
    for name, versioned in (("XYSetAtt", False), ("XYZSeriesAtt", True)):
        created = d.CreateXySetAttributeType(
            mdp.CreateXySetAttributeTypeRequest(session_id=sid, name_space_id=ns, name=name), timeout=DEADLINE_S
        )
        d.AddXySetAttributeDefinition(
            mdp.AddXySetAttributeDefinitionRequest(
                session_id=sid, attribute_type_id=resources_pb2.MeshId(id=created.id),
                object_definition_id=definition("PlantElementType"), versioned=versioned,
            ),
            timeout=DEADLINE_S,
        )
    created = d.CreateRatingCurveAttributeType(
        mdp.CreateRatingCurveAttributeTypeRequest(session_id=sid, name_space_id=ns, name="RatingCurveAtt"), timeout=DEADLINE_S
    )
    d.AddRatingCurveAttributeDefinition(
        mdp.AddRatingCurveAttributeDefinitionRequest(
            session_id=sid, attribute_type_id=resources_pb2.MeshId(id=created.id),
            object_definition_id=definition("PlantElementType"),
        ),
        timeout=DEADLINE_S,
    )
    model = api.model.CreateModel(
        model_pb2.CreateModelRequest(session_id=sid, name="LinkTestModel", model_definition_id=ns), timeout=DEADLINE_S
    )
    api.model.CreateObject(
        model_pb2.CreateObjectRequest(
            session_id=sid, name="Component", owner_id=resources_pb2.MeshId(id=model.id),
            object_definition_id=definition("ComponentType"),
        ),
        timeout=DEADLINE_S,
    )
    plant = api.create_object(s, f"{COMPONENT_PATH}.Plants", "Plant1")
    chimney1 = api.create_object(s, CHIMNEYS, "Chimney1")["id"]
    chimney2 = api.create_object(s, CHIMNEYS, "Chimney2")["id"]
    # The values the SDK's tests start from.
    api.update_links(s, PREFIX + "SimpleReference", [chimney2])
    api.update_links(s, PREFIX + "PlantToChimneyRefCollection", [chimney1, chimney2])
    api.update_versioned_one_to_one(
        s, PREFIX + "ReferenceSeriesAtt", MIN, MAX,
        [(chimney2, utc(2005, 3, 2)), (chimney1, utc(2015, 6, 3)), (chimney2, utc(2017, 2, 1))],
    )
    api.update_versioned_one_to_many(
        s, PREFIX + "ReferenceSeriesCollectionAtt", [[(chimney1, utc(2020, 7, 8))], [(chimney2, utc(2000, 1, 5))]]
    )
    api.update_rating_curve(s, PREFIX + "RatingCurveAtt", MIN, MAX, [version_1(), version_2()])
    api.commit(s)
    return {"plant": plant["id"], "chimney1": chimney1, "chimney2": chimney2}


@pytest.fixture(scope="module")
def ids(channel):
    api = RelationsApi(channel)
    try:
        yield build(api)
    finally:
        api.close_all()


@pytest.fixture
def api(channel, ids):
    api = RelationsApi(channel)
    yield api
    api.close_all()


@pytest.fixture
def session(api):
    return api.open()


def targets(api, session, name):
    """Every way the SDK names an attribute: id, path, instance."""
    path = PREFIX + name
    attribute = api.get_attribute(session, path)
    return [attribute["id"], path, {"id": attribute["id"], "path": path}]


# --- link relations ------------------------------------------------------------------


def test_link_attributes_decode_as_the_sdk_expects(api, session, ids):
    assert api.link_targets(session, PREFIX + "SimpleReference") == [ids["chimney2"]]
    assert sorted(api.link_targets(session, PREFIX + "PlantToChimneyRefCollection")) == sorted(
        [ids["chimney1"], ids["chimney2"]]
    )
    entries = api.link_entries(session, PREFIX + "ReferenceSeriesAtt")
    assert entries == [[(ids["chimney2"], utc(2005, 3, 2)), (ids["chimney1"], utc(2015, 6, 3)), (ids["chimney2"], utc(2017, 2, 1))]]
    assert api.link_entries(session, PREFIX + "ReferenceSeriesCollectionAtt") == [
        [(ids["chimney1"], utc(2020, 7, 8))], [(ids["chimney2"], utc(2000, 1, 5))]
    ]
    full = api.get_attribute(session, PREFIX + "ReferenceSeriesAtt", full_attribute_info=True)
    assert full["class"] == "VersionedLinkRelationAttribute"
    assert full["definition"]["type_name"] == "ReferenceSeriesAttributeDefinition"


def test_one_to_one_link_by_every_target_form(api, session, ids):
    for target in targets(api, session, "SimpleReference"):
        api.update_links(session, target, [ids["chimney1"]])
        assert api.link_targets(session, target) == [ids["chimney1"]]
        api.rollback(session)
    api.update_links(session, PREFIX + "SimpleReference", [])
    assert api.link_targets(session, PREFIX + "SimpleReference") == []


def test_one_to_one_link_refusals(api, session, ids):
    path = PREFIX + "SimpleReference"
    raises(lambda: api.update_links(session, path, [], append=True), "'append' must be false for one-to-one link relation")
    raises(lambda: api.update_links(session, path, [ids["chimney1"], ids["chimney2"]]), "multiple target object IDs set")
    error = raises(lambda: api.update_links(session, path, [ids["plant"]]), "points at ChimneyElementType objects")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    error = raises(lambda: api.update_links(session, path, [uuid.uuid4()]), "not found")
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert api.link_targets(session, path) == [ids["chimney2"]]


def test_one_to_many_link_replace_and_append(api, session, ids):
    for target in targets(api, session, "PlantToChimneyRefCollection"):
        api.update_links(session, target, [])
        api.update_links(session, target, [ids["chimney1"], ids["chimney2"]])
        assert sorted(api.link_targets(session, target)) == sorted([ids["chimney1"], ids["chimney2"]])
        api.rollback(session)
    path = PREFIX + "PlantToChimneyRefCollection"
    api.update_links(session, path, [])
    api.update_links(session, path, [ids["chimney2"]], append=True)
    assert api.link_targets(session, path) == [ids["chimney2"]]
    api.update_links(session, path, [ids["chimney1"]], append=True)
    assert sorted(api.link_targets(session, path)) == sorted([ids["chimney1"], ids["chimney2"]])
    raises(lambda: api.update_links(session, path, [], append=True), "'append' is set to true, but no target objects are set")


def test_versioned_one_to_one_replaces_versions_starting_inside(api, session, ids):
    path = PREFIX + "ReferenceSeriesAtt"
    for target in targets(api, session, "ReferenceSeriesAtt"):
        api.update_versioned_one_to_one(session, target, utc(2004, 1, 1), utc(2014, 1, 1), [])
        assert api.link_entries(session, target) == [[(ids["chimney1"], utc(2015, 6, 3)), (ids["chimney2"], utc(2017, 2, 1))]]
        api.rollback(session)
    # The SDK's replacement cases: (start, end, index of the new version, versions after).
    cases = [
        (utc(2005, 1, 1), utc(2006, 1, 1), 0, 3),
        (utc(2005, 1, 1), utc(2016, 1, 1), 0, 2),
        (utc(2005, 1, 1), MAX, 0, 1),
        (utc(2015, 1, 1), utc(2020, 1, 1), 1, 2),
        (utc(2017, 1, 1), MAX, 2, 3),
        (MIN, MAX, 0, 1),
    ]
    for start, end, index, count in cases:
        for target in (ids["chimney1"], None):
            api.update_versioned_one_to_one(session, path, start, end, [(target, start)])
            (entry,) = api.link_entries(session, path)
            assert len(entry) == count, (start, end)
            assert entry[index] == (target, start)
            api.rollback(session)
    # A new version between existing ones keeps them all.
    api.update_versioned_one_to_one(session, path, utc(2016, 1, 2), utc(2016, 1, 2) + timedelta(microseconds=1), [(None, utc(2016, 1, 2))])
    (entry,) = api.link_entries(session, path)
    assert [v[1] for v in entry] == [utc(2005, 3, 2), utc(2015, 6, 3), utc(2016, 1, 2), utc(2017, 2, 1)]
    api.update_versioned_one_to_one(session, path, MIN, MAX, [])
    assert api.link_entries(session, path) == []


def test_versioned_one_to_one_refusals(api, session, ids):
    path = PREFIX + "ReferenceSeriesAtt"
    raises(
        lambda: api.update_versioned_one_to_one(session, path, utc(2022, 1, 1), utc(2021, 1, 1), [(ids["chimney1"], utc(2022, 1, 1))]),
        "Interval .* is invalid",
    )
    raises(
        lambda: api.update_versioned_one_to_one(session, path, MIN, MAX, [(ids["chimney1"], None)]),
        "each new link relation version must have a 'valid_from_time' timestamp",
    )
    for start, end, when in ((utc(2022, 1, 1), MAX, utc(2020, 1, 1)), (MIN, utc(2022, 1, 1), utc(2022, 1, 1))):
        raises(
            lambda: api.update_versioned_one_to_one(session, path, start, end, [(ids["chimney1"], when)]),
            "new link relations versions must be within the replacement interval",
        )


def test_versioned_one_to_many_replaces_all_entries(api, session, ids):
    path = PREFIX + "ReferenceSeriesCollectionAtt"
    entries = [
        [(ids["chimney2"], utc(2022, 1, 1)), (None, utc(2025, 1, 1)), (ids["chimney2"], utc(2027, 1, 1))],
        [(ids["chimney1"], utc(2000, 1, 1)), (None, utc(2010, 1, 1))],
    ]
    api.update_versioned_one_to_many(session, path, entries)
    assert api.link_entries(session, path) == entries
    api.update_versioned_one_to_many(session, path, [])
    assert api.link_entries(session, path) == []


def test_search_linked_from_and_links_in_queries(api, session, ids):
    replies = list(
        api.model.SearchLinkedFrom(
            model_pb2.SearchLinkedFromRequest(session_id=to_guid(session), target_object_id=sdk_id(ids["chimney2"])),
            timeout=DEADLINE_S,
        )
    )
    paths = sorted(r.link_relation_id.path for r in replies)
    assert paths == sorted(PREFIX + n for n in ("PlantToChimneyRefCollection", "ReferenceSeriesAtt", "ReferenceSeriesCollectionAtt", "SimpleReference"))
    for reply in replies:
        assert len(reply.link_relation_id.id.bytes_le) == 16
    found = api.search_objects(session, COMPONENT_PATH, "Plants/SimpleReference/@[.Name=Chimney2]")
    assert [o["id"] for o in found] == [ids["chimney2"]]


def test_deleting_a_linked_object_removes_the_links_to_it(api, session, ids):
    api.delete_object(session, ids["chimney2"])
    raises(lambda: api.get_object(session, ids["chimney2"]), "object not found")
    assert api.link_targets(session, PREFIX + "SimpleReference") == []
    assert api.link_targets(session, PREFIX + "PlantToChimneyRefCollection") == [ids["chimney1"]]
    (entry,) = api.link_entries(session, PREFIX + "ReferenceSeriesAtt")
    assert entry == [(None, utc(2005, 3, 2)), (ids["chimney1"], utc(2015, 6, 3)), (None, utc(2017, 2, 1))]


# --- XY sets -------------------------------------------------------------------------


def generated_xy_set(seed, valid_from=None):
    return (valid_from, [(float(z), [(float(v), float(-v)) for v in range(seed)]) for z in range(seed)])


def test_unversioned_xy_set(api, session):
    path = PREFIX + "XYSetAtt"
    assert api.get_xy_sets(session, path) == [(None, [])]
    for target in targets(api, session, "XYSetAtt"):
        api.update_xy_sets(session, target, sets=[])
        assert api.get_xy_sets(session, target) == [(None, [])]
        api.update_xy_sets(session, target, sets=[generated_xy_set(3)])
        assert api.get_xy_sets(session, target) == [generated_xy_set(3)]
        api.update_xy_sets(session, target, sets=[])
        assert api.get_xy_sets(session, target) == [(None, [])]
    # Curves come back sorted by reference value.
    curves = [(14.3, []), (3.8, []), (900.4, []), (-100.0, [])]
    api.update_xy_sets(session, path, sets=[(None, curves)])
    assert api.get_xy_sets(session, path) == [(None, sorted(curves))]


def test_unversioned_xy_set_refusals(api, session):
    path = PREFIX + "XYSetAtt"
    now = datetime.now(timezone.utc)
    raises(lambda: api.update_xy_sets(session, ""), "attribute not found")
    raises(lambda: api.update_xy_sets(session, uuid.uuid4()), "attribute not found")
    raises(lambda: api.update_xy_sets(session, PLANT_PATH), "unexpected kind")
    raises(lambda: api.update_xy_sets(session, path, now, now), "interval must be empty when updating XYSetAttribute")
    raises(lambda: api.update_xy_sets(session, path, sets=[(None, []), (None, [])]), "xy_sets must have zero or one element")
    raises(
        lambda: api.update_xy_sets(session, path, sets=[(now, [])]),
        "valid_from_time cannot be set when updating unversioned XY set attribute",
    )
    error = raises(
        lambda: api.model.UpdateXySets(
            model_pb2.UpdateXySetsRequest(
                session_id=to_guid(session), attribute=sdk_id(path),
                xy_sets=[mres.XySet(xy_curves=[mres.XyCurve(reference_value=1.0, x_values=[1.0, 2.0], y_values=[1.0])])],
            ),
            timeout=DEADLINE_S,
        ),
        "curve with reference value 1",
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_versioned_xy_sets(api, session):
    path = PREFIX + "XYZSeriesAtt"
    start, end = utc(1965, 10, 10), utc(1975, 10, 10)
    api.update_xy_sets(session, path, start, end)
    api.update_xy_sets(session, path, start, end, sets=[generated_xy_set(3, start)])
    assert api.get_xy_sets(session, path, start, end) == [generated_xy_set(3, start)]
    api.update_xy_sets(session, path, start, end)
    assert api.get_xy_sets(session, path, start, end) == []
    values = [generated_xy_set(i, start.replace(year=start.year + i)) for i in range(10)]
    api.update_xy_sets(session, path, start, end, sets=values)
    assert api.get_xy_sets(session, path, start, end) == values
    api.update_xy_sets(session, path, start, end)
    for value in values:
        api.update_xy_sets(session, path, value[0], end, sets=[value])
    assert api.get_xy_sets(session, path, start, end) == values
    only_times = api.get_xy_sets(session, path, start, end, versions_only=True)
    assert only_times == [(v[0], []) for v in values]


def test_versioned_xy_set_refusals(api, session):
    path = PREFIX + "XYZSeriesAtt"
    now = datetime.now(timezone.utc).replace(microsecond=0)
    later = now + timedelta(days=365)
    raises(lambda: api.update_xy_sets(session, path), "interval must have a value when updating XYZSeriesAttribute")
    raises(lambda: api.update_xy_sets(session, path, later, now), "UtcInterval .* is invalid, start_time > end_time")
    raises(lambda: api.update_xy_sets(session, path, now, later, sets=[(None, [])]), "must have a valid_from_time")
    raises(lambda: api.update_xy_sets(session, path, now, later, sets=[(now, [(0.0, []), (0.0, [])])]), "duplicate reference value")
    raises(lambda: api.update_xy_sets(session, path, now, later, sets=[(now, [(0.0, []), (1.0, []), (0.0, [])])]), "duplicate reference value")
    raises(lambda: api.update_xy_sets(session, path, now, later, sets=[(later + timedelta(days=365), [])]), "within .* interval")
    raises(lambda: api.update_xy_sets(session, path, now, later, sets=[(now, []), (now, [])]), "duplicate timestamps")


# --- rating curves -------------------------------------------------------------------


RATING = PREFIX + "RatingCurveAtt"


def test_rating_curve_versions_in_force_during_an_interval(api, session):
    for start in (MIN, utc(2000, 1, 1), utc(2009, 12, 31)):
        for end in (MAX, utc(2020, 1, 1), utc(2010, 1, 2)):
            assert api.get_rating_curve(session, RATING, start, end) == [version_1(), version_2()], (start, end)
    for start in (utc(2000, 1, 1), utc(2005, 1, 1)):
        for end in (utc(2006, 1, 1), utc(2010, 1, 1)):
            assert api.get_rating_curve(session, RATING, start, end) == [version_1()], (start, end)
    assert api.get_rating_curve(session, RATING, MIN, MAX, versions_only=True) == [
        (utc(2000, 1, 1), 0.0, []), (utc(2010, 1, 1), 0.0, [])
    ]
    raises(lambda: api.get_rating_curve(session, RATING, utc(2020, 1, 1), utc(2000, 1, 1)), "UtcInterval .* is invalid, start_time > end_time")


def test_rating_curve_updates_replace_by_interval(api, session):
    for target in targets(api, session, "RatingCurveAtt"):
        api.update_rating_curve(session, target, utc(2006, 1, 1), utc(2022, 1, 1), [])
        assert api.get_rating_curve(session, target, MIN, MAX) == [version_1()]
        api.rollback(session)
    for start in (MIN, utc(1990, 1, 1)):
        api.update_rating_curve(session, RATING, start, utc(2000, 1, 1), [])
        assert api.get_rating_curve(session, RATING, MIN, MAX) == [version_1(), version_2()]
    new = [generated_version(1, utc(2005, 1, 1)), generated_version(5, utc(2008, 1, 1))]
    api.update_rating_curve(session, RATING, utc(2005, 1, 1), utc(2010, 1, 1), new)
    assert api.get_rating_curve(session, RATING, MIN, MAX) == [version_1(), *new, version_2()]
    api.rollback(session)
    longer = [generated_version(3, utc(2010, 1, 1))]
    api.update_rating_curve(session, RATING, utc(1999, 12, 31), utc(2011, 1, 1), longer)
    assert api.get_rating_curve(session, RATING, MIN, MAX) == longer
    api.update_rating_curve(session, RATING, MIN, MAX, [])
    assert api.get_rating_curve(session, RATING, MIN, MAX) == []
    api.rollback(session)
    # Segments come back sorted by their bound.
    when = utc(2022, 5, 10)
    api.update_rating_curve(session, RATING, utc(2022, 1, 1), utc(2022, 12, 1), [(when, 2.0, [(5.0, 1, 1, 1), (3.0, 1, 1, 1), (6.0, 1, 1, 1)])])
    assert api.get_rating_curve(session, RATING, MIN, MAX)[2] == (when, 2.0, [(3.0, 1, 1, 1), (5.0, 1, 1, 1), (6.0, 1, 1, 1)])


def test_rating_curve_refusals(api, session):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    later = now + timedelta(days=365)
    soon = now + timedelta(days=2)

    def update(versions, start=now, end=later):
        return lambda: api.update_rating_curve(session, RATING, start, end, versions)

    raises(update([(soon, 2.0, [(5.0, 1, 1, 1)])], later, now), "UtcInterval .* is invalid, start_time > end_time")
    raises(update([generated_version(3, utc(1999, 1, 1)), generated_version(2, utc(1992, 1, 1))], utc(1990, 1, 1), utc(1999, 12, 1)), "new rating curve versions are not sorted")
    raises(update([(soon, 2.0, [(5.0, 1, 1, 1), (5.0, 1, 1, 1)])]), "duplicate .* thresholds in segments of a new rating curve version")
    raises(update([(soon, 1000.0, [(5.0, 1, 1, 1)])]), "rating curve version .* is not lesser than")
    raises(update([(soon, 3.0, [(20.0, 1, 1, 1), (1.0, 1, 1, 1), (5.0, 1, 1, 1)])]), "rating curve version .* is not lesser than")
    raises(update([(soon, 2.0, [])]), "each new rating curve version must have at least one segment")
    raises(update([(later + timedelta(days=365), 2.0, [(5.0, 1, 1, 1)])]), "within .* interval")
    raises(update([(soon, 2.0, [(5.0, 1, 1, 1)]), (soon, 2.0, [(5.0, 1, 1, 1)])]), "duplicate .* timestamps in new rating curve versions")
    assert api.get_rating_curve(session, RATING, MIN, MAX) == [version_1(), version_2()]


# --- cloning -------------------------------------------------------------------------


def test_clone_copies_the_tree_with_inner_links_pointing_at_the_copies(api, session, ids):
    reply = api.model.CloneObject(
        model_pb2.CloneObjectRequest(
            session_id=to_guid(session), source_object_id=sdk_id(PLANT_PATH), new_object_name="Plant2",
            timeseries_copy_mode=model_pb2.NONE,
        ),
        timeout=DEADLINE_S,
    )
    clone = sdk_object(reply.new_object)
    assert clone["path"] == f"{COMPONENT_PATH}.Plants/Plant2"
    assert clone["type_name"] == "PlantElementType"
    copied_chimney = api.get_object(session, f"{COMPONENT_PATH}/Plant2/Chimney2")["id"]
    assert copied_chimney != ids["chimney2"]
    assert api.link_targets(session, f"{COMPONENT_PATH}/Plant2.SimpleReference") == [copied_chimney]
    assert api.get_rating_curve(session, f"{COMPONENT_PATH}/Plant2.RatingCurveAtt", MIN, MAX) == [version_1(), version_2()]
    raises(
        lambda: api.model.CloneObject(
            model_pb2.CloneObjectRequest(session_id=to_guid(session), source_object_id=sdk_id(PLANT_PATH), new_object_name="Plant2"),
            timeout=DEADLINE_S,
        ),
        "already exists",
    )
