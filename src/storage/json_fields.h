#pragma once

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <string_view>

#include <nlohmann/json.hpp>

namespace crio::storage {

using Json = nlohmann::ordered_json;

// A field of a record, or `fallback` when it is absent or null (Go writes omitempty fields so).
template <class T>
T Field(const Json& object, const char* key, T fallback) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  return it->get<T>();
}

// The members of `object` whose keys are not in `known`: fields newer tools write, which we keep
// and write back untouched.
inline Json UnknownFields(const Json& object, std::initializer_list<std::string_view> known) {
  Json unknown = Json::object();
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) unknown[key] = value;
  }
  return unknown;
}

// containers/storage treats a missing or blank file as an empty list.
inline bool IsBlank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
}

}  // namespace crio::storage
