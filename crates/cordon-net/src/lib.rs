//! cordon-net (to be written).
