//! Decoders: how the items of a query or scan become rows (the entity, a
//! projection, a collection or raw maps).

use crate::entity::{Entity, HoldsWholeItems};
use crate::error::{Error, Result};
use crate::single_table::Collection;
use crate::value::Item;
use std::marker::PhantomData;

/// A struct holding some of an entity's fields, derived with
/// `#[derive(Projection)] #[dynamo(entity = User)]`: each field must exist on
/// the entity with the same type (checked at compile time).
pub trait Projection: Sized + Send + 'static {
    /// The entity projected from.
    type Entity: Entity;
    /// The Rust names of the projected fields.
    const FIELDS: &'static [&'static str];
    /// Decodes a projected item; missing attributes are errors, never invented.
    fn from_item(item: Item) -> Result<Self>;
}

/// How the rows of a query or scan are decoded: the last type parameter of
/// [`Query`](crate::Query) and [`Scan`](crate::Scan), chosen by
/// `.project::<P>()`, `.collection::<C>()`, `.project_raw(..)` and
/// `.per_row_errors()`. Sealed: the decoders are the ones listed here.
pub trait Decoder: sealed::Sealed + Send + Sync + 'static {
    /// The row type.
    type Output: Send + 'static;
    /// Decodes one item.
    #[doc(hidden)]
    fn decode(item: Item) -> Result<Self::Output>;
    /// The attribute names to ask for, or `None` for whole items.
    #[doc(hidden)]
    fn projection(&self) -> Option<Vec<String>>;
}

mod sealed {
    pub trait Sealed {}
    impl<T> Sealed for super::AsEntity<T> {}
    impl<P> Sealed for super::AsProjection<P> {}
    impl<C> Sealed for super::AsCollection<C> {}
    impl Sealed for super::Raw {}
    impl<D> Sealed for super::PerRow<D> {}
}

/// Rows decoded as the entity itself.
pub struct AsEntity<T>(pub(super) PhantomData<fn() -> T>);

impl<T: Entity> Decoder for AsEntity<T> {
    type Output = T;
    fn decode(item: Item) -> Result<T> {
        T::from_item(item)
    }
    fn projection(&self) -> Option<Vec<String>> {
        None
    }
}

/// Rows decoded as a [`Projection`].
pub struct AsProjection<P>(pub(super) PhantomData<fn() -> P>);

/// Rows of a typed entity's projection read the entity-type attribute too,
/// and an item of another type (a single-table partition holds several) is
/// [`DecodeErrorKind::WrongEntityType`](crate::value::DecodeErrorKind::WrongEntityType),
/// as reading the whole entity would be, never decoded as `P`.
impl<P: Projection> Decoder for AsProjection<P> {
    type Output = P;
    fn decode(item: Item) -> Result<P> {
        let schema = &<P::Entity as Entity>::SCHEMA;
        if let Some(typed) = schema.single_table {
            crate::__private::check_entity_type(&item, typed.type_attribute, typed.entity_type)
                .map_err(|e| Error::Decode(e.in_entity(schema.entity)))?;
        }
        P::from_item(item)
    }
    fn projection(&self) -> Option<Vec<String>> {
        let schema = &<P::Entity as Entity>::SCHEMA;
        let mut attributes: Vec<String> = P::FIELDS
            .iter()
            .map(|f| schema.attribute_of(f).unwrap_or(f).to_owned())
            .collect();
        if let Some(typed) = schema.single_table {
            if !attributes.iter().any(|a| a == typed.type_attribute) {
                attributes.push(typed.type_attribute.to_owned());
            }
        }
        Some(attributes)
    }
}

/// Rows decoded as a [`Collection`]: each item routed to the variant of its
/// entity type.
pub struct AsCollection<C>(pub(super) PhantomData<fn() -> C>);

impl<C: Collection> Decoder for AsCollection<C> {
    type Output = C;
    fn decode(item: Item) -> Result<C> {
        C::from_item(item)
    }
    fn projection(&self) -> Option<Vec<String>> {
        None
    }
}

/// Rows as raw attribute maps, holding the listed attributes.
pub struct Raw(pub(super) Vec<String>);

impl Decoder for Raw {
    type Output = Item;
    fn decode(item: Item) -> Result<Item> {
        Ok(item)
    }
    fn projection(&self) -> Option<Vec<String>> {
        Some(self.0.clone())
    }
}

/// Rows decoded by `D`, each one a `Result`: an item that does not decode is
/// an `Err` beside the good rows instead of failing the whole call
/// (`.per_row_errors()` on a query or scan). Errors from DynamoDB itself
/// still fail the call.
pub struct PerRow<D>(pub(super) D);

impl<D: Decoder> Decoder for PerRow<D> {
    type Output = Result<D::Output>;
    fn decode(item: Item) -> Result<Self::Output> {
        Ok(D::decode(item))
    }
    fn projection(&self) -> Option<Vec<String>> {
        self.0.projection()
    }
}

/// A decoder that can read the rows of an index whose projection marker is
/// `Proj` ([`AllAttributes`](crate::entity::AllAttributes) for the table and
/// for indexes that project all attributes). Rows decoded as the entity or a
/// collection need whole items; projections and raw maps read any index
/// (which attributes an include index holds is checked when the request is
/// built). A compile error naming the index says when it does not hold.
/// Sealed, like [`Decoder`].
pub trait ReadsIndex<Proj>: Decoder {}

impl<T: Entity, Proj: HoldsWholeItems> ReadsIndex<Proj> for AsEntity<T> {}
impl<C: Collection, Proj: HoldsWholeItems> ReadsIndex<Proj> for AsCollection<C> {}
impl<P: Projection, Proj> ReadsIndex<Proj> for AsProjection<P> {}
impl<Proj> ReadsIndex<Proj> for Raw {}
impl<D: ReadsIndex<Proj>, Proj> ReadsIndex<Proj> for PerRow<D> {}
