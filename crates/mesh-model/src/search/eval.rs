//! Running a parsed query against a [`SearchModel`].
//!
//! Sets of objects keep the order in which they were first found, so a
//! query gives the same answer every time; walks go depth first, children in
//! the model's order, so `{*}` lists a subtree in pre-order.
//!
//! Walks keep their own stacks instead of recursing: a model may be
//! arbitrarily deep, while recursion follows only the query's tree, which
//! the parser bounds.

use std::collections::{HashMap, HashSet};

use super::ast::{
    CompareOp, Comparison, Criteria, CriteriaExpr, Direction, Query, Repeat, Traversal,
};
use super::compare::value_matches;
use super::error::SearchError;
use super::{SearchModel, SearchValue};

/// A limit on the work one search may do, counted in objects visited (an
/// object counts each time a step reaches it or a criterion is tried on it).
/// A search that would go past the limit stops with
/// [`SearchError::TooLarge`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    limit: u64,
    used: u64,
}

impl Budget {
    /// The limit of [`Budget::default`]: room for a whole model of a good
    /// size, small enough to answer in well under a second.
    pub const DEFAULT_LIMIT: u64 = 1_000_000;

    /// A budget of `limit` visited objects.
    pub fn new(limit: u64) -> Self {
        Budget { limit, used: 0 }
    }

    /// The limit this budget was made with.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// How many visits the searches run with this budget have used.
    pub fn used(&self) -> u64 {
        self.used
    }

    fn charge(&mut self, visits: u64) -> Result<(), SearchError> {
        self.used = self.used.saturating_add(visits);
        if self.used > self.limit {
            Err(SearchError::TooLarge { limit: self.limit })
        } else {
            Ok(())
        }
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(Budget::DEFAULT_LIMIT)
    }
}

/// One result of a search: an object, or for a query ending in `.Attr` an
/// attribute of an object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hit<O> {
    /// The object found, or owning the attribute found.
    pub object: O,
    /// The attribute's name as the model spells it, for an attribute search.
    pub attribute: Option<String>,
}

/// Runs `query` from `start`. Results come without repeats, in the order they
/// were first found; for an attribute search, one hit per selected attribute
/// that an object found has, objects in order, then attributes in the
/// order the query names them.
pub fn run<M: SearchModel>(
    model: &M,
    start: M::Object,
    query: &Query,
    budget: &mut Budget,
) -> Result<Vec<Hit<M::Object>>, SearchError> {
    budget.charge(1)?;
    let mut eval = Eval { model, budget };
    let found = eval.traverse(&query.traversal, &[start], false)?;
    if !query.selects_attributes() {
        return Ok(found
            .order
            .into_iter()
            .map(|object| Hit {
                object,
                attribute: None,
            })
            .collect());
    }
    let mut seen = HashSet::new();
    let mut hits = Vec::new();
    for object in found.order {
        for name in &query.attributes {
            if let Some(attribute) = model.attribute(object, name, false) {
                if seen.insert((object, attribute.name)) {
                    hits.push(Hit {
                        object,
                        attribute: Some(attribute.name.to_string()),
                    });
                }
            }
        }
    }
    Ok(hits)
}

/// A set that remembers the order of insertion.
struct Found<O> {
    order: Vec<O>,
    seen: HashSet<O>,
}

impl<O: Copy + Eq + std::hash::Hash> Found<O> {
    fn new() -> Self {
        Found {
            order: Vec::new(),
            seen: HashSet::new(),
        }
    }

    fn insert(&mut self, object: O) -> bool {
        let fresh = self.seen.insert(object);
        if fresh {
            self.order.push(object);
        }
        fresh
    }

    fn contains(&self, object: &O) -> bool {
        self.seen.contains(object)
    }

    fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// The two pseudo-attributes criteria may compare.
enum Pseudo {
    Name,
    Type,
}

fn pseudo(name: &str, ignore_case: bool) -> Option<Pseudo> {
    let is = |wanted: &str| {
        if ignore_case {
            name.eq_ignore_ascii_case(wanted)
        } else {
            name == wanted
        }
    };
    if is("Name") {
        Some(Pseudo::Name)
    } else if is("Type") {
        Some(Pseudo::Type)
    } else {
        None
    }
}

/// The `X` of a criterion `.Type=X`.
fn type_equals(expr: &CriteriaExpr) -> Option<&str> {
    match expr {
        CriteriaExpr::Compare(comparison)
            if comparison.op == CompareOp::Eq
                && matches!(comparison.operand.traversal, Traversal::Identity)
                && comparison.operand.attributes.len() == 1
                && comparison.operand.attributes[0] == "Type" =>
        {
            Some(comparison.literal.as_str())
        }
        _ => None,
    }
}

/// The type a criterion requires in so many words (`.Type=X`, alone or as
/// one of the terms joined by `&&`), which an index by type can answer.
fn required_type(criteria: &Criteria) -> Option<&str> {
    if criteria.ignore_case {
        // The index is by exact name.
        return None;
    }
    match &criteria.expr {
        CriteriaExpr::And(parts) => parts.iter().find_map(type_equals),
        expr => type_equals(expr),
    }
}

struct Eval<'a, M: SearchModel> {
    model: &'a M,
    budget: &'a mut Budget,
}

impl<M: SearchModel> Eval<'_, M> {
    /// Applies `traversal` to each input; `ignore_case` is the `{i}` of the
    /// criteria the traversal is written in (for relation names).
    fn traverse(
        &mut self,
        traversal: &Traversal,
        inputs: &[M::Object],
        ignore_case: bool,
    ) -> Result<Found<M::Object>, SearchError> {
        let mut out = Found::new();
        match traversal {
            Traversal::Identity => {
                for &input in inputs {
                    out.insert(input);
                }
            }
            Traversal::Filter(criteria) => {
                for &input in inputs {
                    self.budget.charge(1)?;
                    if self.matches(input, criteria)? {
                        out.insert(input);
                    }
                }
            }
            Traversal::Child(criteria) => {
                for &input in inputs {
                    for child in self.model.children(input) {
                        self.budget.charge(1)?;
                        if self.matches(child, criteria)? {
                            out.insert(child);
                        }
                    }
                }
            }
            Traversal::Parent => {
                for &input in inputs {
                    if let Some(owner) = self.model.owner(input) {
                        self.budget.charge(1)?;
                        out.insert(owner);
                    }
                }
            }
            Traversal::Relation(name) => {
                for &input in inputs {
                    if let Some(attribute) = self.model.attribute(input, name, ignore_case) {
                        for target in attribute.targets {
                            self.budget.charge(1)?;
                            out.insert(target);
                        }
                    }
                }
            }
            Traversal::Walk {
                direction,
                repeat,
                criteria,
            } => {
                for &input in inputs {
                    match direction {
                        Direction::Down => {
                            self.walk_down(input, *repeat, criteria.as_deref(), &mut out)?
                        }
                        Direction::Up => {
                            self.walk_up(input, *repeat, criteria.as_deref(), &mut out)?
                        }
                    }
                }
            }
            Traversal::Repeated(inner, repeat) => {
                self.repeat(inner, *repeat, inputs, ignore_case, &mut out)?
            }
            Traversal::Compose(parts) => {
                let mut current = inputs.to_vec();
                for part in parts {
                    current = self.traverse(part, &current, ignore_case)?.order;
                    if current.is_empty() {
                        break;
                    }
                }
                for object in current {
                    out.insert(object);
                }
            }
            Traversal::Intersect(parts) => {
                let mut parts = parts.iter();
                if let Some(first) = parts.next() {
                    let mut current = self.traverse(first, inputs, ignore_case)?.order;
                    for part in parts {
                        if current.is_empty() {
                            break;
                        }
                        let other = self.traverse(part, inputs, ignore_case)?;
                        current.retain(|object| other.contains(object));
                    }
                    for object in current {
                        out.insert(object);
                    }
                }
            }
            Traversal::Union(parts) => {
                for part in parts {
                    for object in self.traverse(part, inputs, ignore_case)?.order {
                        out.insert(object);
                    }
                }
            }
        }
        Ok(out)
    }

    /// `*`, `+`, `{*}`, `{+}`, with or without criteria, from one input.
    ///
    /// Without criteria the walk outputs the leaves below the input (`*`:
    /// the input itself when it is a leaf) or, in braces, everything it
    /// passes. With criteria it stops going down at a match and outputs it
    /// (the nearest matches), or in braces outputs every match at any depth.
    /// `+` never outputs the input on its own account.
    fn walk_down(
        &mut self,
        input: M::Object,
        repeat: Repeat,
        criteria: Option<&Criteria>,
        out: &mut Found<M::Object>,
    ) -> Result<(), SearchError> {
        if let Some(criteria) = criteria {
            if let Some(type_name) = required_type(criteria) {
                if self.model.owner(input).is_none() {
                    if let Some(candidates) = self.model.objects_of_type(type_name) {
                        return self.walk_down_indexed(
                            input, repeat, criteria, type_name, candidates, out,
                        );
                    }
                }
            }
        }
        let mut stack = vec![(input, true)];
        while let Some((object, is_input)) = stack.pop() {
            self.budget.charge(1)?;
            let may_output = !(repeat.strict && is_input);
            let children = self.model.children(object);
            match criteria {
                Some(criteria) => {
                    if may_output && self.matches(object, criteria)? {
                        out.insert(object);
                        if !repeat.all {
                            continue;
                        }
                    }
                }
                None => {
                    if may_output && (repeat.all || children.is_empty()) {
                        out.insert(object);
                    }
                }
            }
            stack.extend(children.into_iter().rev().map(|child| (child, false)));
        }
        Ok(())
    }

    /// [`Self::walk_down`] from a root, answered from the model's index by
    /// type rather than by visiting the whole model: the candidates under
    /// `input` (found by their owner chains), in the order a walk would have
    /// found them.
    fn walk_down_indexed(
        &mut self,
        input: M::Object,
        repeat: Repeat,
        criteria: &Criteria,
        type_name: &str,
        candidates: Vec<M::Object>,
        out: &mut Found<M::Object>,
    ) -> Result<(), SearchError> {
        self.budget.charge(1)?;
        if !repeat.strict
            && self.model.type_name(input) == type_name
            && self.matches(input, criteria)?
        {
            out.insert(input);
            if !repeat.all {
                return Ok(());
            }
        }
        // Where each child stands among its siblings, per owner, to sort the
        // matches into walk order.
        let mut positions: HashMap<M::Object, HashMap<M::Object, usize>> = HashMap::new();
        let mut picked: Vec<(Vec<usize>, M::Object)> = Vec::new();
        let mut seen = HashSet::new();
        'candidates: for candidate in candidates {
            self.budget.charge(1)?;
            if candidate == input
                || !seen.insert(candidate)
                || self.model.type_name(candidate) != type_name
            {
                continue;
            }
            // The chain from the candidate up to (not including) the input;
            // a candidate whose chain ends elsewhere is in another model.
            let mut chain = vec![candidate];
            let mut object = candidate;
            loop {
                match self.model.owner(object) {
                    Some(owner) if owner == input => break,
                    Some(owner) => {
                        self.budget.charge(1)?;
                        chain.push(owner);
                        object = owner;
                    }
                    None => continue 'candidates,
                }
            }
            if !self.matches(candidate, criteria)? {
                continue;
            }
            if !repeat.all {
                // Only the nearest matches: none between it and the input.
                for &between in &chain[1..] {
                    if self.model.type_name(between) == type_name
                        && self.matches(between, criteria)?
                    {
                        continue 'candidates;
                    }
                }
            }
            let mut path = Vec::with_capacity(chain.len());
            let mut owner = input;
            for &object in chain.iter().rev() {
                let siblings = match positions.get(&owner) {
                    Some(siblings) => siblings,
                    None => {
                        let children = self.model.children(owner);
                        self.budget.charge(children.len() as u64)?;
                        let siblings = children
                            .into_iter()
                            .enumerate()
                            .map(|(at, child)| (child, at))
                            .collect();
                        positions.entry(owner).or_insert(siblings)
                    }
                };
                path.push(siblings.get(&object).copied().unwrap_or(usize::MAX));
                owner = object;
            }
            picked.push((path, candidate));
        }
        // Stable: equal paths cannot occur (each candidate once).
        picked.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, object) in picked {
            out.insert(object);
        }
        Ok(())
    }

    /// `..*`, `..+`, `..{*}`, `..{+}`, with or without criteria, from one
    /// input: like [`Self::walk_down`] along the owner chain, ending at the
    /// root instead of at leaves. Nearest first.
    fn walk_up(
        &mut self,
        input: M::Object,
        repeat: Repeat,
        criteria: Option<&Criteria>,
        out: &mut Found<M::Object>,
    ) -> Result<(), SearchError> {
        let mut next = Some(input);
        let mut is_input = true;
        while let Some(object) = next {
            self.budget.charge(1)?;
            let may_output = !(repeat.strict && is_input);
            next = self.model.owner(object);
            match criteria {
                Some(criteria) => {
                    if may_output && self.matches(object, criteria)? {
                        out.insert(object);
                        if !repeat.all {
                            break;
                        }
                    }
                }
                None => {
                    if may_output && (repeat.all || next.is_none()) {
                        out.insert(object);
                    }
                }
            }
            is_input = false;
        }
        Ok(())
    }

    /// `T*`, `T+`, `T{*}`, `T{+}`: applies `T` again and again from each
    /// input, depth first. Without braces the output is where it ends
    /// (objects from which `T` finds nothing); in braces, everything it
    /// reaches. `+` counts only objects reached by at least one application.
    /// Each object is expanded once, so cycles through link relations end.
    fn repeat(
        &mut self,
        inner: &Traversal,
        repeat: Repeat,
        inputs: &[M::Object],
        ignore_case: bool,
        out: &mut Found<M::Object>,
    ) -> Result<(), SearchError> {
        let mut expanded: Vec<(M::Object, bool)> = Vec::new();
        let mut visited = HashSet::new();
        let mut reached_by_step = HashSet::new();
        for &input in inputs {
            let mut stack = vec![input];
            while let Some(object) = stack.pop() {
                if !visited.insert(object) {
                    continue;
                }
                let next = self.traverse(inner, &[object], ignore_case)?;
                expanded.push((object, next.is_empty()));
                for &found in next.order.iter().rev() {
                    reached_by_step.insert(found);
                    if !visited.contains(&found) {
                        stack.push(found);
                    }
                }
            }
        }
        for (object, ends_here) in expanded {
            let counts = !repeat.strict || reached_by_step.contains(&object);
            if counts && (repeat.all || ends_here) {
                out.insert(object);
            }
        }
        Ok(())
    }

    fn matches(&mut self, object: M::Object, criteria: &Criteria) -> Result<bool, SearchError> {
        self.test(object, &criteria.expr, criteria.ignore_case)
    }

    fn test(
        &mut self,
        object: M::Object,
        expr: &CriteriaExpr,
        ignore_case: bool,
    ) -> Result<bool, SearchError> {
        match expr {
            CriteriaExpr::And(parts) => {
                for part in parts {
                    if !self.test(object, part, ignore_case)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            CriteriaExpr::Or(parts) => {
                for part in parts {
                    if self.test(object, part, ignore_case)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            CriteriaExpr::Not(inner) => Ok(!self.test(object, inner, ignore_case)?),
            CriteriaExpr::Exists(query) => self.exists(object, query, ignore_case),
            CriteriaExpr::Compare(comparison) => self.compare(object, comparison, ignore_case),
        }
    }

    /// A search standing alone in criteria: does it find anything?
    fn exists(
        &mut self,
        object: M::Object,
        query: &Query,
        ignore_case: bool,
    ) -> Result<bool, SearchError> {
        let found = self.traverse(&query.traversal, &[object], ignore_case)?;
        if !query.selects_attributes() {
            return Ok(!found.is_empty());
        }
        Ok(found.order.iter().any(|&object| {
            query.attributes.iter().any(|name| {
                pseudo(name, ignore_case).is_some()
                    || self.model.attribute(object, name, ignore_case).is_some()
            })
        }))
    }

    /// A search compared with a literal: does any value it finds match? The
    /// values are the selected attributes' values (a relation's are its
    /// targets' names; `.Name` and `.Type` are the object's name and type),
    /// or the names of the objects found when no attribute is selected.
    fn compare(
        &mut self,
        object: M::Object,
        comparison: &Comparison,
        ignore_case: bool,
    ) -> Result<bool, SearchError> {
        let query = &comparison.operand;
        let found = self.traverse(&query.traversal, &[object], ignore_case)?;
        let model = self.model;
        let check = |value: SearchValue<'_>| value_matches(value, comparison, ignore_case);
        for object in found.order {
            if !query.selects_attributes() {
                if check(SearchValue::String(model.name(object))) {
                    return Ok(true);
                }
                continue;
            }
            for name in &query.attributes {
                let matched = match pseudo(name, ignore_case) {
                    Some(Pseudo::Name) => check(SearchValue::String(model.name(object))),
                    Some(Pseudo::Type) => check(SearchValue::String(model.type_name(object))),
                    None => match model.attribute(object, name, ignore_case) {
                        None => false,
                        Some(attribute) => {
                            attribute.values.iter().any(|&value| check(value))
                                || attribute
                                    .targets
                                    .iter()
                                    .any(|&target| check(SearchValue::String(model.name(target))))
                        }
                    },
                };
                if matched {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}
