"""Frame-exact decoding, the frame cache and prefetch, overlay drawing, video export. No Qt."""
