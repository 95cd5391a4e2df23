//! Integration tests against DynamoDB Local (see `scripts/with-dynamodb-local`).

mod budgets;
mod capacity;
mod capacity_results;
mod crud;
mod cursor_keys;
mod cursors;
mod expressions;
mod mapping;
mod query;
mod query_pages;
mod resilience;
mod tables;
mod unit_of_work;
mod validation;
