//! The import routes (see the module docs of `imports`).
