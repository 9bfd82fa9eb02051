#pragma once

#include <string>

#include "crio/config/config.h"

namespace crio::config {

// The configuration as a crio.conf TOML document with a one-line comment per option. Loading the
// output yields `config` again.
std::string RenderToml(const Config& config);

// The configuration as one JSON object nested by table, for the Status RPC's verbose info.
std::string RenderJson(const Config& config);

// docs/crio.conf.5.md: every option with its type, default, reload behaviour, support status and
// description, generated from the option table so the reference cannot drift from the code.
std::string RenderReference();

}  // namespace crio::config
