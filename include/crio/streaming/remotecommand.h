#pragma once

// Names and messages of the Kubernetes remote command and port-forward protocols, shared by
// the SPDY and WebSocket transports and by crioctl's client side.

#include <optional>
#include <string>
#include <string_view>

namespace crio::streaming {

// Sub-protocols, newest first: the server picks the first of these the client offers.
// SPDY carries v4..v1 (X-Stream-Protocol-Version); WebSocket carries v5..v1
// (Sec-WebSocket-Protocol), plus the base64 variants of v4..v1.
inline constexpr std::string_view kRemoteCommandV5 = "v5.channel.k8s.io";
inline constexpr std::string_view kRemoteCommandV4 = "v4.channel.k8s.io";
inline constexpr std::string_view kRemoteCommandV3 = "v3.channel.k8s.io";
inline constexpr std::string_view kRemoteCommandV2 = "v2.channel.k8s.io";
inline constexpr std::string_view kRemoteCommandV1 = "channel.k8s.io";
inline constexpr std::string_view kPortForwardV1 = "portforward.k8s.io";

// The text written on the error stream when a session ends (protocol v3 and newer; v1/v2 send
// only a plain error message and nothing on success):
// exit 0 -> {"metadata":{},"status":"Success"}
// exit N -> a Failure Status with reason NonZeroExitCode and a cause {"reason":"ExitCode",
//           "message":"N"}, which the kubelet's client turns back into exit code N.
std::string ExitStatusJson(int exit_code);
// A Failure Status carrying `message` (the session could not run at all).
std::string ErrorStatusJson(std::string_view message);
// Parses what ExitStatusJson/ErrorStatusJson produce (and what the kubelet produces): the exit
// code, or nullopt with `*message` set for an error that is not an exit code.
std::optional<int> ParseExitStatusJson(std::string_view json, std::string* message);

}  // namespace crio::streaming
