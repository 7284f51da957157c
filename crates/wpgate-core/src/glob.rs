//! Scope patterns: IN_SCOPE_PATHS / OUT_OF_SCOPE entries compiled to glob sets.
