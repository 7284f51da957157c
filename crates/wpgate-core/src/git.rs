//! The git layer: the only module that touches git.
