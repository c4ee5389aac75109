"""Contract tests of calculations (docs/sdk-contract.md, "Calculations").

Requests are built as the official SDK's `calc` module builds them (the
expression texts of its helpers, the interval, `relative_to` as an id, a
path or both), and replies are read as it reads them: a calculation result
is a series with no id and non-empty Arrow data, numbers in
numeric_results. The data is the SDK test model's as its tests assume it
(calc notes §6.1): `SomePowerPlant1.TsRawAtt`, an hourly piecewise linear
series 1..9 at 01:00..09:00 on 2016-01-01 with 04:00 missing
(NOT_OK|MISSING), `DblAtt` = 1000, and `TsCalcAtt` with the SDK's template.
"""

import math
import re
from datetime import datetime, timedelta

import grpc
import pyarrow as pa
import pytest

from guids import to_guid
from test_timeseries_attribute_contract import (
    DEADLINE_S,
    VT,
    Api,
    Curve,
    Resolution,
    mdp,
    sdk_id,
    sdk_interval,
    sdk_read_reply,
    sdk_table,
    sdk_uuid,
    sdk_write_request,
    unique,
)
from volue.mesh.proto.calc.v1alpha import calc_pb2, calc_pb2_grpc
from volue.mesh.proto.model.v1alpha import model_pb2
from volue.mesh.proto.model.v1alpha import resources_pb2 as model_resources_pb2
from volue.mesh.proto.time_series.v1alpha import time_series_pb2
from volue.mesh.proto.type import resources_pb2

OK, SUSPECT, MISSING, NOT_OK = 0, 0x02000000, 0x04000000, 0x40000000
START, END = datetime(2016, 1, 1, 1), datetime(2016, 1, 1, 9)
# The SDK test model's template of TsCalcAtt, byte for byte.
CALC_TEMPLATE = (
    "@PDLOG(12004, 'TEST') \n"
    "##= @d('.DblAtt') + @t('.TsRawAtt') + @SUM(@D('PlantToPlantRef.DblAtt'))\n\n"
)


def raw_points():
    points = []
    for i in range(9):
        moment = START + timedelta(hours=i)
        if i == 3:
            points.append((moment, NOT_OK | MISSING, math.nan))
        else:
            points.append((moment, OK, float(i + 1)))
    return points


# --- the SDK's expression builders (calc notes §5) ---------------------------------


def sdk_time(moment):
    return "UTC" + moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}"


# --- the service as the SDK calls it ------------------------------------------------


class Calc:
    def __init__(self, channel):
        self.stub = calc_pb2_grpc.CalculationServiceStub(channel)

    def run(self, session, expression, target, start=START, end=END):
        return self.stub.RunCalculation(
            calc_pb2.CalculationRequest(
                session_id=to_guid(session),
                expression=expression,
                interval=sdk_interval(start, end),
                relative_to=sdk_id(target),
            ),
            timeout=DEADLINE_S,
        )


def series_results(reply):
    """_parse_timeseries_list_response: every series needs data; a result
    is recognised by its absent id."""
    if not reply.HasField("timeseries_results"):
        return []
    out = []
    for series in reply.timeseries_results.timeseries:
        assert series.data, "No data in time series reply"
        assert not series.HasField("id"), "a calculation result carries no id"
        out.append(pa.ipc.open_stream(series.data).read_all())
    return out


def single_series(reply):
    found = series_results(reply)
    assert len(found) == 1, f"invalid calculation result, expected 1 timeseries, but got {len(found)}"
    return found[0]


def single_number(reply):
    assert reply.HasField("numeric_results")
    assert len(reply.numeric_results.value) == 1
    return reply.numeric_results.value[0]


def rows(table):
    return list(
        zip(
            table.column("utc_time").to_pylist(),
            table.column("flags").to_pylist(),
            table.column("value").to_pylist(),
        )
    )


# --- the test model -----------------------------------------------------------------


@pytest.fixture(scope="module")
def plant(channel):
    api = Api(channel)
    try:
        s = api.open()
        sid = to_guid(s)
        d = api.defs
        repository = unique("CalcRepository")
        def_root = f"Repository/{repository}"
        d.CreateNamespace(mdp.CreateNamespaceRequest(session_id=sid, name=repository), timeout=DEADLINE_S)
        ns = resources_pb2.MeshId(path=def_root)
        d.CreateObjectDefinition(
            mdp.CreateObjectDefinitionRequest(session_id=sid, name_space_id=ns, name="PlantType"),
            timeout=DEADLINE_S,
        )
        owner = resources_pb2.MeshId(path=f"{def_root}/PlantType")
        unit = api.unit_id(s, "MW")
        for name, template in (("TsRawAtt", ""), ("TsCalcAtt", CALC_TEMPLATE), ("TsLocalAtt", "## = 1\n")):
            ts_type = d.CreateTimeseriesAttributeType(
                mdp.CreateTimeseriesAttributeTypeRequest(
                    session_id=sid, name_space_id=ns, name=name, unit_of_measurement_id=unit
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
        model_name = unique("CalcModel")
        model = api.model.CreateModel(
            model_pb2.CreateModelRequest(
                session_id=sid, name=model_name, model_definition_id=resources_pb2.MeshId(path=def_root)
            ),
            timeout=DEADLINE_S,
        )
        created = api.model.CreateObject(
            model_pb2.CreateObjectRequest(
                session_id=sid, name="SomePowerPlant1", owner_id=resources_pb2.MeshId(id=model.id),
                object_definition_id=owner,
            ),
            timeout=DEADLINE_S,
        )
        attributes = {a.name: a for a in created.attributes}
        path = f"Model/{model_name}/SomePowerPlant1"
        update = model_pb2.UpdateSimpleAttributeRequest(
            session_id=sid, attribute_id=resources_pb2.MeshId(path=f"{path}.DblAtt")
        )
        update.new_singular_value.CopyFrom(model_resources_pb2.AttributeValue(double_value=1000.0))
        api.model.UpdateSimpleAttribute(update, timeout=DEADLINE_S)
        resource = api.series.CreatePhysicalTimeseries(
            time_series_pb2.CreatePhysicalTimeseriesRequest(
                session_id=sid, path="/CalcContract/", name=unique("raw"),
                curve_type=Curve(type=Curve.PIECEWISELINEAR), resolution=Resolution(type=Resolution.HOUR),
                unit_of_measurement_id=unit,
            ),
            timeout=DEADLINE_S,
        )
        api.update_timeseries_attribute(s, f"{path}.TsRawAtt", new_timeseries_resource_key=resource.timeseries_key)
        api.series.WriteTimeseries(
            sdk_write_request(s, sdk_table(raw_points()), START, END + timedelta(hours=1), timskey=resource.timeseries_key),
            timeout=DEADLINE_S,
        )
        api.commit(s)
        yield {
            "path": path,
            "key": resource.timeseries_key,
            "raw": {"id": sdk_uuid(attributes["TsRawAtt"].id), "path": f"{path}.TsRawAtt"},
            "calc": {"id": sdk_uuid(attributes["TsCalcAtt"].id), "path": f"{path}.TsCalcAtt"},
            "local": {"id": sdk_uuid(attributes["TsLocalAtt"].id), "path": f"{path}.TsLocalAtt"},
        }
    finally:
        api.close_all()


@pytest.fixture
def api(channel, plant):
    api = Api(channel)
    yield api
    api.close_all()


@pytest.fixture
def session(api):
    return api.open()


@pytest.fixture
def calc(channel):
    return Calc(channel)


def targets(attribute):
    """The SDK's three ways of naming the target: id, path, the instance."""
    return [attribute["id"], attribute["path"], attribute]


# --- statistics ---------------------------------------------------------------------


def test_sum_of_a_single_series_is_a_number(calc, session, plant):
    for target in targets(plant["raw"]):
        # The NaN skipped, the linear series' 09:00 end point included.
        assert single_number(calc.run(session, "## = @SUM(@t())\n", target)) == 41.0


@pytest.mark.parametrize("expression", ["## = @SUM(@T('some_query'))\n", "## = @SUM(@T())\n"])
def test_sum_of_series_is_one_series(calc, session, plant, expression):
    for target in targets(plant["raw"]):
        single_series(calc.run(session, expression, target))


# --- transforms (test_read_transformed_timeseries_points) ---------------------------

METHODS = ["SUM", "SUMI", "AVG", "AVGI", "FIRST", "LAST", "MIN", "MAX"]
ZONES = [None, "LOCAL", "STANDARD", "UTC"]


def sdk_transform(resolution, method, zone=None, query=None):
    """TransformFunctions.transform's expression text."""
    series = f"@t('{query}')" if query else "@t()"
    if zone is None:
        return f"## = @TRANSFORM({series}, '{resolution}', '{method}')\n"
    return f"## = @TRANSFORM({series}, '{resolution}', '{method}', '{zone}')\n"


def check_finer(table, step_minutes, label):
    """Every step from 01:00 to 09:00 inclusive; OK around the gap, MISSING
    from 03:00 to 04:00, NOT_OK|MISSING from 04:00 to 05:00."""
    got = rows(table)
    assert len(got) == 8 * 60 // step_minutes + 1, label
    for i, (moment, flags, value) in enumerate(got):
        assert moment == START + timedelta(minutes=i * step_minutes), label
        if moment <= START + timedelta(hours=2) or moment >= START + timedelta(hours=4):
            assert flags == OK and not math.isnan(value), (label, i)
        elif moment < START + timedelta(hours=3):
            assert flags == MISSING and math.isnan(value), (label, i)
        else:
            assert flags == NOT_OK | MISSING and math.isnan(value), (label, i)
    return got


@pytest.mark.parametrize("resolution,step", [("MIN15", 15), ("MIN30", 30)])
def test_transform_to_a_finer_resolution(calc, session, plant, resolution, step):
    for target in targets(plant["raw"]):
        for method in METHODS:
            for zone in ZONES:
                label = sdk_transform(resolution, method, zone)
                got = check_finer(single_series(calc.run(session, label, target)), step, label)
                if method == "AVG" and step == 15:
                    assert [v for _, f, v in got if f == OK] == [
                        1 + 0.25 * i for i, (_, f, _) in enumerate(got) if f == OK
                    ]


@pytest.mark.parametrize("resolution", ["HOUR", "DAY", "WEEK", "MONTH", "YEAR"])
def test_transform_to_a_coarser_resolution(calc, session, plant, resolution):
    for target in targets(plant["raw"]):
        for method in METHODS:
            for zone in ZONES:
                label = sdk_transform(resolution, method, zone)
                assert len(rows(single_series(calc.run(session, label, target)))) >= 1, label
    # A day in UTC holds every point, the 09:00 end included; the gap
    # makes it SUSPECT.
    got = rows(single_series(calc.run(session, sdk_transform("DAY", "SUM", "UTC"), plant["raw"])))
    if resolution == "DAY":
        assert got == [(datetime(2016, 1, 1), SUSPECT, 41.0)]


def test_transform_hour_sum_standard_answers_eight_points(calc, session, plant):
    got = rows(single_series(calc.run(session, sdk_transform("HOUR", "SUM", "STANDARD"), plant["raw"])))
    assert [m for m, _, _ in got] == [START + timedelta(hours=i) for i in range(8)]
    assert [v for _, _, v in got if not math.isnan(v)] == [1.0, 2.0, 3.0, 5.0, 6.0, 7.0, 8.0]


def test_transform_through_a_search(calc, session, plant):
    expression = sdk_transform("MIN15", "AVG", "UTC", query=".TsRawAtt")
    check_finer(single_series(calc.run(session, expression, plant["path"])), 15, expression)


def test_transform_refuses_unknown_symbols(calc, session, plant):
    for expression, text in [
        (sdk_transform("FORTNIGHT", "SUM"), "unknown resolution 'FORTNIGHT'"),
        (sdk_transform("DAY", "MEDIAN"), "unknown method 'MEDIAN'"),
    ]:
        with pytest.raises(grpc.RpcError) as caught:
            calc.run(session, expression, plant["raw"])
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert text in caught.value.details()


# --- ReadTransformedTimeseries ------------------------------------------------------


def read_transformed(api, session, requests):
    return list(
        api.series.ReadTransformedTimeseries(
            time_series_pb2.ReadTransformedTimeseriesRequest(session_id=to_guid(session), requests=requests),
            timeout=DEADLINE_S,
        )
    )


def transformed_request(target, resolution, method, zone=0, start=START, end=END):
    return time_series_pb2.ReadTransformedTimeseriesSingleRequest(
        timeseries_id=sdk_id(target),
        interval=sdk_interval(start, end),
        resolution=resources_pb2.Resolution(type=resolution),
        transformation_method=method,
        transformation_timezone=zone,
    )


def test_read_transformed_answers_each_request_in_turn(api, session, plant):
    tm, tz = time_series_pb2.TransformationMethod, time_series_pb2.Timezone
    replies = read_transformed(
        api,
        session,
        [
            transformed_request(plant["raw"], Resolution.MIN15, tm.Value("AVG"), tz.Value("UTC")),
            transformed_request(plant["key"], Resolution.DAY, tm.Value("SUM")),
            transformed_request(plant["calc"], Resolution.HOUR, tm.Value("IMPLICIT"), tz.Value("STANDARD")),
        ],
    )
    assert len(replies) == 3
    first, second, third = (reply.timeseries[0] for reply in replies)
    # Named as a read names them: through the attribute, or by key.
    assert sdk_uuid(first.id.id) == plant["raw"]["id"] and first.id.timeseries_key == 0
    assert second.id.timeseries_key == plant["key"]
    assert first.resolution.type == Resolution.MIN15 and second.resolution.type == Resolution.DAY
    check_finer(pa.ipc.open_stream(first.data).read_all(), 15, "AVG MIN15")
    # An unspecified zone is UTC: the day starts at UTC midnight.
    assert rows(pa.ipc.open_stream(second.data).read_all()) == [(datetime(2016, 1, 1), SUSPECT, 41.0)]
    # A calculated attribute transforms its result: IMPLICIT of a linear
    # series is FIRST.
    got = rows(pa.ipc.open_stream(third.data).read_all())
    assert [v for _, _, v in got] == [v for _, _, v in expected_calc_rows()][:8]


def test_read_transformed_refuses_bad_enums(api, session, plant):
    tm = time_series_pb2.TransformationMethod
    for request, text in [
        (transformed_request(plant["raw"], Resolution.DAY, 42), "transformation_method 42"),
        (transformed_request(plant["raw"], Resolution.DAY, tm.Value("SUM"), zone=9), "transformation_timezone 9"),
        (transformed_request(plant["raw"], 0, tm.Value("SUM")), "resolution 0"),
    ]:
        with pytest.raises(grpc.RpcError) as caught:
            read_transformed(api, session, [request])
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value.details()
        assert text in caught.value.details()


# --- history and forecasts (test_history_*, test_forecast_*) -------------------------
# The raw series was written once, now: as of 2016 it held nothing, it has
# no earlier version, and no series has forecasts (none can be created).


@pytest.mark.parametrize(
    "when", [datetime(2016, 1, 5, 17, 48, 11, 123000), datetime(2016, 1, 1, 5)]
)
def test_as_of_a_time_before_the_first_write_is_one_series_of_nothing(calc, session, plant, when):
    for target in targets(plant["raw"]):
        table = single_series(calc.run(session, f"## = @GetTsAsOfTime(@t(),'{sdk_time(when)}')\n", target))
        values = table.column("value").to_pylist()
        assert values and all(math.isnan(v) for v in values), values


@pytest.mark.parametrize("n", [1, 2, 5])
def test_a_series_written_once_has_no_historical_versions(calc, session, plant, n):
    for target in targets(plant["raw"]):
        assert series_results(calc.run(session, f"## = @GetTsHistoricalVersions(@t(),{n})\n", target)) == []


def comparable(found):
    """Rows with NaN as None, which compares equal to itself."""
    return [(t, f, None if math.isnan(v) else v) for t, f, v in found]


def test_as_of_its_audit_time_a_series_is_what_that_commit_wrote(calc, session, plant):
    for target in targets(plant["raw"]):
        reply = calc.run(session, "## = @GetTsAuditTimes(@t(), 5)\n", target)
        assert len(reply.numeric_results.value) == 1
        now = single_series(
            calc.run(session, "## = @GetTsAsOfTime(@t(), @AT(@GetTsAuditTimes(@t(), 5), 0))\n", target)
        )
        current = single_series(calc.run(session, "## = @t()\n", target))
        assert comparable(rows(now)) == comparable(rows(current))


def test_no_series_has_forecasts(calc, session, plant):
    for target in targets(plant["raw"]):
        assert series_results(calc.run(session, "## = @GetAllForecasts(@t())\n", target)) == []
        for expression in [
            "## = @GetForecast(@t())\n",
            f"## = @GetForecast(@t(),'{sdk_time(datetime(2016, 1, 5, 17, 48, 11, 123000))}')\n",
            "## = @GetForecast(@t(),'UTC20160102000000000','UTC20160108000000000')\n",
            "## = @GetForecast(@t(),'UTC20160102000000000','UTC20160108000000000','UTC20160105174811123')\n",
        ]:
            values = single_series(calc.run(session, expression, target)).column("value").to_pylist()
            assert all(math.isnan(v) for v in values), values


@pytest.mark.parametrize(
    "expression",
    [
        "## = @Revision('All')\n",
        "## = @Restriction('ProductionMin[MW]', 'Proposed|Recommended', @t('.TsRawAtt'), 'Minimum')\n",
    ],
)
def test_availability_functions_are_unimplemented(calc, session, plant, expression):
    with pytest.raises(grpc.RpcError) as caught:
        calc.run(session, expression, plant["raw"])
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED, caught.value.details()
    assert "availability" in caught.value.details()


def test_a_function_not_served_is_invalid_and_named(calc, session, plant):
    with pytest.raises(grpc.RpcError) as caught:
        calc.run(session, "## = @PERCENTILE(@t(), 50)\n", plant["raw"])
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value.details()
    assert "PERCENTILE" in caught.value.details()


# --- results of other types ---------------------------------------------------------


def test_numbers_and_texts_come_back_as_such(calc, session, plant):
    reply = calc.run(session, "## = @d('.DblAtt') * 2\n", plant["path"])
    assert list(reply.numeric_results.value) == [2000.0]
    reply = calc.run(session, "## = {1, 2, 3}\n", plant["path"])
    assert list(reply.numeric_results.value) == [1.0, 2.0, 3.0]
    reply = calc.run(session, "x = 'plant'\n## = x\n", plant["path"])
    assert list(reply.string_results.value) == ["plant"]
    # An expression that never sets ## answers nothing.
    reply = calc.run(session, "x = 1\n", plant["path"])
    assert series_results(reply) == [] and not reply.HasField("numeric_results")


def test_a_series_key_is_a_target(calc, session, plant):
    assert single_number(calc.run(session, "## = @SUM(@t())\n", plant["key"])) == 41.0


# --- calculated attributes (test_read_calculation_timeseries_points) ----------------


def expected_calc_rows():
    out = []
    for i in range(9):
        value = 1000.0 if i == 3 else 1000.0 + i + 1
        out.append((START + timedelta(hours=i), SUSPECT, value))
    return out


def read_calc(api, session, target, start=START, end=END):
    reply = sdk_read_reply(api.read(session, target, start, end))
    return rows(reply["table"]), reply


def test_a_calculated_attribute_reads_as_its_template(api, session, plant):
    for target in targets(plant["calc"]):
        got, reply = read_calc(api, session, target)
        assert got == expected_calc_rows()
        assert reply["uuid"] == plant["calc"]["id"] and reply["timskey"] == 0


def test_a_calculated_attribute_reads_through_the_stream(api, session, plant):
    replies = list(
        api.series.ReadTimeseriesStream(
            time_series_pb2.ReadTimeseriesStreamRequest(
                session_id=to_guid(session),
                timeseries_ids=[sdk_id(plant["calc"]), sdk_id(plant["key"])],
                interval=sdk_interval(START, END),
            ),
            timeout=DEADLINE_S,
        )
    )
    assert len(replies) == 2
    assert rows(pa.ipc.open_stream(replies[0].timeseries[0].data).read_all()) == expected_calc_rows()


def test_a_calculated_attribute_sees_pending_writes_and_other_commits(api, session, plant):
    # test_write_timeseries_point_from_other_session: a linear result
    # answers its end point, so [01:00, 04:00) gives 4 points.
    got, _ = read_calc(api, session, plant["calc"], START, START + timedelta(hours=3))
    assert len(got) == 4
    at_three = START + timedelta(hours=2)
    other = api.open()
    api.series.WriteTimeseries(
        sdk_write_request(other, sdk_table([(at_three, OK, 50.0)]), at_three, at_three + timedelta(hours=1), timskey=plant["key"]),
        timeout=DEADLINE_S,
    )
    # The other session sees its own pending write; this one does not yet.
    got, _ = read_calc(api, other, plant["calc"], at_three, at_three + timedelta(hours=1))
    assert got[0][2] == 1050.0
    got, _ = read_calc(api, session, plant["calc"], at_three, at_three + timedelta(hours=1))
    assert got[0][2] == 1003.0
    api.commit(other)
    got, _ = read_calc(api, session, plant["calc"], at_three, at_three + timedelta(hours=1))
    assert got[0][2] == 1050.0
    api.series.WriteTimeseries(
        sdk_write_request(other, sdk_table([(at_three, OK, 3.0)]), at_three, at_three + timedelta(hours=1), timskey=plant["key"]),
        timeout=DEADLINE_S,
    )
    api.commit(other)
    got, _ = read_calc(api, session, plant["calc"])
    assert got == expected_calc_rows()


def test_a_local_expression_wins_and_the_empty_one_brings_back_the_template(api, session, plant):
    target = plant["local"]
    got, _ = read_calc(api, session, target)
    assert [v for _, _, v in got] == [1.0]
    api.update_timeseries_attribute(session, target, new_local_expression="## = @t('.TsRawAtt') * 2\n")
    got, _ = read_calc(api, session, target)
    assert [v for _, _, v in got if not math.isnan(v)] == [2.0, 4.0, 6.0, 10.0, 12.0, 14.0, 16.0, 18.0]
    api.update_timeseries_attribute(session, target, new_local_expression="")
    got, _ = read_calc(api, session, target)
    assert [v for _, _, v in got] == [1.0]


def test_writes_to_a_calculated_attribute_are_refused(api, session, plant):
    with pytest.raises(grpc.RpcError) as caught:
        api.series.WriteTimeseries(
            sdk_write_request(session, sdk_table(raw_points()), START, END, full_name=plant["calc"]["path"]),
            timeout=DEADLINE_S,
        )
    assert re.search(
        "target time series is not connected to a physical time series nor marked as session series",
        caught.value.details(),
    )


# --- bad expressions ----------------------------------------------------------------


def test_a_parse_error_names_its_place(calc, session, plant):
    with pytest.raises(grpc.RpcError) as caught:
        calc.run(session, "## = @t('.TsRawAtt'))\n", plant["path"])
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith("line 1, column 21: expected"), caught.value.details()


def test_unknown_functions_and_forms_are_named(calc, session, plant):
    with pytest.raises(grpc.RpcError) as caught:
        calc.run(session, "## = @NoSuchFunction(1)\n", plant["path"])
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unknown function '@NoSuchFunction'" in caught.value.details()
    with pytest.raises(grpc.RpcError) as caught:
        calc.run(session, "## = @ABS('x')\n", plant["path"])
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "ABS(d) -> d, ABS(t) -> t" in caught.value.details()


def test_a_bad_search_is_invalid_and_an_empty_one_is_not(calc, session, plant):
    with pytest.raises(grpc.RpcError) as caught:
        calc.run(session, "## = @t('[[[')\n", plant["path"])
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # Nothing found is the empty series: one NaN point at the start.
    table = single_series(calc.run(session, "## = @t('.NoSuchAttribute')\n", plant["path"]))
    assert rows(table) == [(START, MISSING, pytest.approx(math.nan, nan_ok=True))]
