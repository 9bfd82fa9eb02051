#pragma once

#include <nlohmann/json.hpp>

namespace crio {

// `json[key]` as a T, or `fallback` when the key is missing or null. Throws nlohmann's
// type_error when present with another type: callers parse inside a try.
template <class T>
T JsonField(const nlohmann::json& json, const char* key, T fallback = T{}) {
  auto found = json.find(key);
  if (found == json.end() || found->is_null()) return fallback;
  return found->get<T>();
}

}  // namespace crio
