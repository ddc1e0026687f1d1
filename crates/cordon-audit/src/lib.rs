//! cordon-audit (to be written).
