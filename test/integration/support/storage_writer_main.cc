// Test helper: writes one layer from standard input into a store, so a test can kill a writer
// halfway. Usage: storage_writer ROOT RUNROOT LAYER_ID
#include <unistd.h>

#include <cstdio>

#include "crio/storage/layer_store.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s ROOT RUNROOT LAYER_ID\n", argv[0]);
    return 2;
  }
  crio::storage::StoreOptions options;
  options.root = argv[1];
  options.runroot = argv[2];
  auto store = crio::storage::LayerStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  crio::storage::FdSource source(STDIN_FILENO);
  auto layer = (*store)->CreateFromStream(argv[3], "", source);
  if (!layer.ok()) {
    std::fprintf(stderr, "%s\n", std::string(layer.status().message()).c_str());
    return 1;
  }
  return 0;
}
