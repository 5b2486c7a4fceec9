// How strictly the decoders read where [MS-NLMP] leaves room or real peers stray.
//
// Strict follows the letter of the spec and refuses anything it does not define; it is what the
// probe's well-formedness checks and `ntlmh decode` use. Lenient accepts what Windows and other
// widely used peers accept, so a server built on it interoperates; each leniency is one named
// switch, and every switch is tested both ways.
#ifndef NTLM_ENGINE_DECODE_POLICY_H_
#define NTLM_ENGINE_DECODE_POLICY_H_

namespace ntlm {

struct DecodePolicy {
  // [MS-NLMP] 2.2.2.1: AvIds above MsvAvChannelBindings (10) are not defined. Lenient keeps them
  // as raw pairs (new Windows versions add ids); strict refuses them.
  bool allow_unknown_av_ids = false;
  // [MS-NLMP] 2.2.2.1: the list ends with MsvAvEOL. Lenient ignores bytes after it inside the
  // declared target info length; strict refuses them.
  bool allow_bytes_after_eol = false;
  // [MS-NLMP] 2.2.2.1: a list without MsvAvEOL. Lenient takes the end of the buffer as the end of
  // the list; strict refuses it.
  bool allow_missing_eol = false;
  // [MS-NLMP] 2.2.1.2: NEGOTIATE_TARGET_INFO set with an empty TargetInfo. Lenient accepts it.
  bool allow_empty_target_info = false;
  // [MS-NLMP] 2.2.2.1 says each AvId appears at most once. Lenient keeps every pair in order
  // (lookups find the first); strict refuses the second.
  bool allow_duplicate_av_ids = false;
  // [MS-NLMP] 2.2.1.1/2.2.1.3: NEGOTIATE_VERSION set but the header has no room for VERSION.
  // Lenient reads the message as if VERSION were absent; strict refuses it.
  bool allow_missing_version = false;

  static DecodePolicy Strict() { return DecodePolicy{}; }
  static DecodePolicy Lenient() {
    DecodePolicy p;
    p.allow_unknown_av_ids = true;
    p.allow_bytes_after_eol = true;
    p.allow_missing_eol = true;
    p.allow_empty_target_info = true;
    p.allow_duplicate_av_ids = true;
    p.allow_missing_version = true;
    return p;
  }
};

}  // namespace ntlm

#endif  // NTLM_ENGINE_DECODE_POLICY_H_
