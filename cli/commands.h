// ntlmh subcommands. Each takes the arguments after its own name (argv[0] is the subcommand
// name) and returns the process exit status: 0 ok, 1 the thing checked failed, 2 usage, input
// or transport error.
#ifndef NTLMH_CLI_COMMANDS_H_
#define NTLMH_CLI_COMMANDS_H_

namespace ntlmh {

int RunVectors(int argc, char** argv);
int RunHash(int argc, char** argv);
int RunDecode(int argc, char** argv);
int RunServe(int argc, char** argv);
int RunExplain(int argc, char** argv);
int RunRequest(int argc, char** argv);
int RunProbe(int argc, char** argv);
int RunLoad(int argc, char** argv);

}  // namespace ntlmh

#endif  // NTLMH_CLI_COMMANDS_H_
