# The fuzz targets: each NAME has fuzz/NAME_fuzzer.cc, fuzz/corpus/NAME/, fuzz/regressions/NAME/,
# fuzz/dict/NAME.dict and fuzz/options/NAME.options (max_len). Read by fuzz/CMakeLists.txt (the
# libFuzzer binaries), tests/CMakeLists.txt (the gcc replays) and fuzz/run.sh. The targets in
# NTLMH_FUZZ_GATE_TARGETS also link the mock server's request handling (mock_server/auth_gate.cc,
# nlohmann-json, Boost.Beast's header-only parser).
set(NTLMH_FUZZ_TARGETS
    negotiate
    challenge
    authenticate
    av_pairs
    ntlmv2_blob
    version
    http_auth_header
    spnego
    client
    server
    crypto_diff
    mock_request)
set(NTLMH_FUZZ_GATE_TARGETS mock_request)
