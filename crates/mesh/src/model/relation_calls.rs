//! The calls on [`Session`] for link relations, XY sets, rating curves and
//! cloning.

use chrono::{DateTime, Utc};
use mesh_proto::model::{
    CloneObjectRequest, GetRatingCurveVersionsRequest, GetXySetsRequest, SearchLinkedFromRequest,
    TimeseriesCopyMode as ProtoCopyMode, UpdateLinkRelationAttributeRequest,
    UpdateRatingCurveVersionsRequest, UpdateVersionedLinkRelationAttributeRequest,
    UpdateXySetsRequest, VersionedLinkRelationAttributeValue,
};
use mesh_proto::types::UtcInterval;
use uuid::Uuid;

use super::curves::{LinkVersion, RatingCurveVersion, TimeseriesCopyMode, XySet};
use super::ids::{reference, Reference, Target};
use super::objects::{object, Object};
use super::values::timestamp;
use crate::error::{Error, Result};
use crate::guid;
use crate::session::Session;

fn interval(start: DateTime<Utc>, end: DateTime<Utc>) -> UtcInterval {
    UtcInterval {
        start_time: Some(timestamp(start)),
        end_time: Some(timestamp(end)),
    }
}

impl Session {
    /// Points the link attribute `target` at `objects`: replacing what it
    /// points at, or, with `append` (one-to-many links only), adding to
    /// it. No objects clears a link.
    pub async fn update_link_relation_attribute(
        &self,
        target: impl Into<Target>,
        objects: &[Uuid],
        append: bool,
    ) -> Result<()> {
        let id = self.open_id()?;
        self.model_client()
            .update_link_relation_attribute(UpdateLinkRelationAttributeRequest {
                session_id: Some(guid::to_proto(id)),
                attribute: Some(target.into().to_proto()),
                append,
                target_object_ids: objects.iter().copied().map(guid::to_proto).collect(),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?;
        Ok(())
    }

    /// Replaces the versions of the versioned one-to-one link `target`
    /// that start in `[start, end)` with `versions` (sorted by start, each
    /// inside the interval; none removes them).
    pub async fn update_versioned_one_to_one_link_relation_attribute(
        &self,
        target: impl Into<Target>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        versions: &[LinkVersion],
    ) -> Result<()> {
        let entries = if versions.is_empty() {
            Vec::new()
        } else {
            vec![versions.to_vec()]
        };
        self.versioned_links(target.into(), Some(interval(start, end)), &entries)
            .await
    }

    /// Replaces every entry of the versioned one-to-many link `target`
    /// with `entries`, each a list of versions sorted by start.
    pub async fn update_versioned_one_to_many_link_relation_attribute(
        &self,
        target: impl Into<Target>,
        entries: &[Vec<LinkVersion>],
    ) -> Result<()> {
        self.versioned_links(target.into(), None, entries).await
    }

    async fn versioned_links(
        &self,
        target: Target,
        interval: Option<UtcInterval>,
        entries: &[Vec<LinkVersion>],
    ) -> Result<()> {
        let id = self.open_id()?;
        self.model_client()
            .update_versioned_link_relation_attribute(UpdateVersionedLinkRelationAttributeRequest {
                session_id: Some(guid::to_proto(id)),
                interval,
                attribute: Some(target.to_proto()),
                entries: entries
                    .iter()
                    .map(|entry| VersionedLinkRelationAttributeValue {
                        versions: entry.iter().map(|v| v.to_proto()).collect(),
                    })
                    .collect(),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?;
        Ok(())
    }

    /// The link attributes that point at the object `target` (at any
    /// time, for versioned links).
    pub async fn search_linked_from(&self, target: impl Into<Target>) -> Result<Vec<Reference>> {
        let id = self.open_id()?;
        let mut stream = self
            .model_client()
            .search_linked_from(SearchLinkedFromRequest {
                session_id: Some(guid::to_proto(id)),
                target_object_id: Some(target.into().to_proto()),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        let mut found = Vec::new();
        while let Some(answer) = stream
            .message()
            .await
            .map_err(|status| Error::from_session_call(status, id))?
        {
            found.extend(reference(
                answer.link_relation_id.as_ref(),
                "a linking attribute",
            )?);
        }
        Ok(found)
    }

    /// Copies the object `source` with everything it owns as `name`, under
    /// `new_owner` (an ownership attribute, or an object with one fitting
    /// ownership attribute) or beside the source. Links between copied
    /// objects point at the copies; links out of the tree stay.
    pub async fn clone_object(
        &self,
        source: impl Into<Target>,
        new_owner: Option<Target>,
        name: &str,
        timeseries: TimeseriesCopyMode,
    ) -> Result<Object> {
        let id = self.open_id()?;
        let answer = self
            .model_client()
            .clone_object(CloneObjectRequest {
                session_id: Some(guid::to_proto(id)),
                source_object_id: Some(source.into().to_proto()),
                new_owner_id: new_owner.map(|o| o.to_proto()),
                new_object_name: name.to_string(),
                timeseries_copy_mode: match timeseries {
                    TimeseriesCopyMode::All => ProtoCopyMode::All,
                    TimeseriesCopyMode::None => ProtoCopyMode::None,
                    TimeseriesCopyMode::Internal => ProtoCopyMode::Internal,
                } as i32,
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        object(
            answer
                .new_object
                .ok_or_else(|| Error::Protocol("a clone came back without its object".into()))?,
        )
    }

    /// The XY sets of the XY set attribute `target`: its one set (no
    /// interval), or for a versioned attribute those in force during
    /// `[start, end)`. `versions_only` leaves the curves out.
    pub async fn get_xy_sets(
        &self,
        target: impl Into<Target>,
        interval_of_versions: Option<(DateTime<Utc>, DateTime<Utc>)>,
        versions_only: bool,
    ) -> Result<Vec<XySet>> {
        let id = self.open_id()?;
        let answer = self
            .model_client()
            .get_xy_sets(GetXySetsRequest {
                session_id: Some(guid::to_proto(id)),
                interval: interval_of_versions.map(|(start, end)| interval(start, end)),
                versions_only,
                attribute: Some(target.into().to_proto()),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        answer.xy_sets.into_iter().map(XySet::from_proto).collect()
    }

    /// Sets the XY sets of `target`: its one set (no interval; none
    /// empties it), or for a versioned attribute replaces those starting in
    /// `[start, end)`.
    pub async fn update_xy_sets(
        &self,
        target: impl Into<Target>,
        interval_of_versions: Option<(DateTime<Utc>, DateTime<Utc>)>,
        sets: &[XySet],
    ) -> Result<()> {
        let id = self.open_id()?;
        self.model_client()
            .update_xy_sets(UpdateXySetsRequest {
                session_id: Some(guid::to_proto(id)),
                interval: interval_of_versions.map(|(start, end)| interval(start, end)),
                attribute: Some(target.into().to_proto()),
                xy_sets: sets.iter().map(XySet::to_proto).collect(),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?;
        Ok(())
    }

    /// The rating curve versions of `target` in force during `[start,
    /// end)`; `versions_only` leaves out all but their starts.
    pub async fn get_rating_curve_versions(
        &self,
        target: impl Into<Target>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        versions_only: bool,
    ) -> Result<Vec<RatingCurveVersion>> {
        let id = self.open_id()?;
        let answer = self
            .model_client()
            .get_rating_curve_versions(GetRatingCurveVersionsRequest {
                session_id: Some(guid::to_proto(id)),
                interval: Some(interval(start, end)),
                versions_only,
                attribute: Some(target.into().to_proto()),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        answer
            .versions
            .into_iter()
            .map(RatingCurveVersion::from_proto)
            .collect()
    }

    /// Replaces the rating curve versions of `target` that start in
    /// `[start, end)` with `versions` (sorted by start, each inside).
    pub async fn update_rating_curve_versions(
        &self,
        target: impl Into<Target>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        versions: &[RatingCurveVersion],
    ) -> Result<()> {
        let id = self.open_id()?;
        self.model_client()
            .update_rating_curve_versions(UpdateRatingCurveVersionsRequest {
                session_id: Some(guid::to_proto(id)),
                interval: Some(interval(start, end)),
                attribute: Some(target.into().to_proto()),
                versions: versions.iter().map(RatingCurveVersion::to_proto).collect(),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?;
        Ok(())
    }
}
