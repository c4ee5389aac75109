//! The queries the Python SDK's tests and examples run, with the results
//! they expect, on a model of the same shape.

use super::model::thermal;

#[test]
fn time_series_attributes_below_the_component() {
    let model = thermal();
    let hits = model.search("ThermalComponent", "{*}.TsRawAtt");
    assert_eq!(
        hits,
        [
            "SomePowerPlant1.TsRawAtt",
            "SomePowerPlantChimney1.TsRawAtt",
            "SomePowerPlantChimney2.TsRawAtt"
        ]
    );
    assert_eq!(model.search("ThermalComponent", "{*}.TsCalcAtt").len(), 3);
    assert_eq!(model.search("ThermalComponent", "{*}.DblAtt").len(), 3);
}

#[test]
fn objects_by_type() {
    let model = thermal();
    assert_eq!(
        model.search("ThermalComponent", "*[.Type=ChimneyElementType]"),
        ["SomePowerPlantChimney1", "SomePowerPlantChimney2"]
    );
    assert_eq!(
        model.search(
            "SimpleThermalTestModel",
            "*[.Type=ChimneyElementType&&.Name=SomePowerPlantChimney1]"
        ),
        ["SomePowerPlantChimney1"]
    );
}

#[test]
fn named_attributes_of_one_object() {
    let model = thermal();
    assert_eq!(
        model.search(
            "SimpleThermalTestModel",
            "*[.Name=SomePowerPlant1].DblAtt,TsRawAtt,TsCalcAtt,Int64Att"
        ),
        [
            "SomePowerPlant1.DblAtt",
            "SomePowerPlant1.TsRawAtt",
            "SomePowerPlant1.TsCalcAtt",
            "SomePowerPlant1.Int64Att"
        ]
    );
    // An absent attribute is skipped, the others still found.
    assert_eq!(
        model.search(
            "SimpleThermalTestModel",
            "*[.Name=SomePowerPlant1].DblAtt,ABSENT_ATTRIBUTE_NAME"
        ),
        ["SomePowerPlant1.DblAtt"]
    );
    assert_eq!(
        model.search(
            "SimpleThermalTestModel",
            "*[.Name=SomePowerPlantChimney2].TsRawAtt"
        ),
        ["SomePowerPlantChimney2.TsRawAtt"]
    );
}

#[test]
fn every_object_and_relations() {
    let model = thermal();
    assert_eq!(
        model.search("SimpleThermalTestModel", "{*}"),
        [
            "SimpleThermalTestModel",
            "ThermalComponent",
            "SomePowerPlant1",
            "SomePowerPlantChimney1",
            "SomePowerPlantChimney2",
            "SomePowerPlant2"
        ]
    );
    assert_eq!(
        model.search(
            "ThermalComponent",
            "ThermalPowerToPlantRef/PlantToChimneyRef/ChimneyToChimneyRef"
        ),
        ["SomePowerPlantChimney2"]
    );
    assert_eq!(
        model.search(
            "SomePowerPlantChimney2",
            "..*[.Type=ThermalComponentType].ThermalPowerToPlantRef"
        ),
        ["ThermalComponent.ThermalPowerToPlantRef"]
    );
}
