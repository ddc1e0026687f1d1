//! cordon-policy (to be written).
