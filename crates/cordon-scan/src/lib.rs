//! cordon-scan (to be written).
