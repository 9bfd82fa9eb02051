#pragma once

#include <string>

namespace crio {

// True when systemd is this host's init (the sd_booted(3) test).
bool SystemdIsInit();

// This machine's architecture as images and Kubernetes name it ("amd64", "arm64", ...).
const char* HostArchitecture();

// Whether this process has capability `cap` (a CAP_* number) in its effective set.
bool HasEffectiveCapability(int cap);

// This process's own /proc/self/oom_score_adj (0 when unreadable).
int OwnOomScoreAdj();

// The oom_score_adj a child of ours can really get: without CAP_SYS_RESOURCE the kernel refuses
// anything below our own value, so `requested` is raised to it (containerd's
// restrict_oom_score_adj). `clamped` tells whether that happened.
int EffectiveOomScoreAdj(int requested, bool* clamped = nullptr);

// The node's hostname (uname nodename).
std::string NodeHostname();

}  // namespace crio
