#!/bin/bash -eu
# ClusterFuzzLite build: the same as OSS-Fuzz's, one script for both (fuzz/oss-fuzz/build.sh).
exec "$SRC/ntlm-harness/fuzz/oss-fuzz/build.sh"
