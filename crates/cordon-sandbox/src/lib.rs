//! cordon-sandbox (to be written).
