#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "crio/image/registries.h"

namespace crio::image {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

RegistriesConf Parse(std::string_view toml) {
  RegistriesConf conf;
  absl::Status status = MergeRegistriesToml(toml, "registries.conf", conf);
  EXPECT_TRUE(status.ok()) << status;
  return conf;
}

Reference Ref(std::string_view text) { return *ParseReference(text); }

std::vector<std::string> Sources(const RegistriesConf& conf, std::string_view reference) {
  absl::StatusOr<std::vector<PullSource>> sources = PullSources(conf, Ref(reference));
  if (!sources.ok()) return {"error: " + std::string(sources.status().message())};
  std::vector<std::string> out;
  for (const PullSource& source : *sources) {
    out.push_back((source.mirror ? "mirror " : "") + source.reference.String() +
                  (source.insecure ? " (insecure)" : ""));
  }
  return out;
}

TEST(RegistriesConfTest, ParsesEveryKey) {
  RegistriesConf conf = Parse(R"(
unqualified-search-registries = ["quay.io", "docker.io"]
short-name-mode = "permissive"
[aliases]
"busybox" = "docker.io/library/busybox"
[[registry]]
prefix = "example.com/foo"
location = "internal.example.com/bar"
insecure = true
[[registry.mirror]]
location = "mirror.local/foo"
pull-from-mirror = "digest-only"
[[registry]]
location = "blocked.io"
blocked = true
)");
  EXPECT_THAT(conf.unqualified_search_registries, ElementsAre("quay.io", "docker.io"));
  EXPECT_EQ(conf.short_name_mode, "permissive");
  EXPECT_EQ(conf.aliases.at("busybox"), "docker.io/library/busybox");
  ASSERT_EQ(conf.registries.size(), 2u);
  EXPECT_EQ(conf.registries[0].prefix, "example.com/foo");
  EXPECT_TRUE(conf.registries[0].insecure);
  ASSERT_EQ(conf.registries[0].mirrors.size(), 1u);
  EXPECT_EQ(conf.registries[0].mirrors[0].pull_from_mirror, "digest-only");
  EXPECT_EQ(conf.registries[1].prefix, "blocked.io");  // prefix defaults to location
}

TEST(RegistriesConfTest, ErrorsNameTheKey) {
  RegistriesConf conf;
  EXPECT_THAT(
      std::string(MergeRegistriesToml("short-name-mode = \"loose\"", "r.conf", conf).message()),
      HasSubstr("r.conf:1: short-name-mode: invalid value \"loose\""));
  EXPECT_THAT(std::string(MergeRegistriesToml("[[registry]]\nlocation = \"a.io\"\nsecure = true\n",
                                              "r.conf", conf)
                              .message()),
              HasSubstr("registry.secure: unknown key"));
  EXPECT_THAT(std::string(MergeRegistriesToml("[registries.search]\nregistries = [\"a.io\"]\n",
                                              "r.conf", conf)
                              .message()),
              HasSubstr("version 1 format"));
  EXPECT_THAT(std::string(MergeRegistriesToml(
                              "[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = "
                              "\"m.io\"\npull-from-mirror = \"some\"\n",
                              "r.conf", conf)
                              .message()),
              HasSubstr("pull-from-mirror: invalid value \"some\""));
}

TEST(RegistriesConfTest, DropInsOverrideByPrefixAndMergeAliases) {
  char dir_template[] = "/tmp/crio-registries-XXXXXX";
  std::filesystem::path dir = ::mkdtemp(dir_template);
  std::ofstream(dir / "registries.conf") << "unqualified-search-registries = [\"docker.io\"]\n"
                                            "[aliases]\n\"a\" = \"docker.io/library/a\"\n"
                                            "[[registry]]\nprefix = \"x.io\"\ninsecure = false\n";
  std::filesystem::create_directories(dir / "registries.conf.d");
  std::ofstream(dir / "registries.conf.d" / "20-b.conf")
      << "[[registry]]\nprefix = \"x.io\"\ninsecure = true\n";
  std::ofstream(dir / "registries.conf.d" / "10-a.conf") << "[aliases]\n\"b\" = \"quay.io/b\"\n";
  absl::StatusOr<RegistriesConf> conf =
      LoadRegistriesConf(dir / "registries.conf", dir / "registries.conf.d");
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(conf.ok()) << conf.status();
  EXPECT_THAT(conf->unqualified_search_registries, ElementsAre("docker.io"));
  EXPECT_EQ(conf->aliases.size(), 2u);
  ASSERT_EQ(conf->registries.size(), 1u);
  EXPECT_TRUE(conf->registries[0].insecure);  // the later drop-in wins
}

TEST(PullSourcesTest, MirrorsThenTheRegistryWithRewrites) {
  RegistriesConf conf = Parse(R"(
[[registry]]
prefix = "docker.io"
location = "registry-1.docker.io"
[[registry.mirror]]
location = "mirror-a.local/dockerhub"
[[registry.mirror]]
location = "mirror-b.local"
insecure = true
pull-from-mirror = "tag-only"
[[registry]]
prefix = "docker.io/library/special"
location = "special.local/only"
)");
  EXPECT_THAT(Sources(conf, "docker.io/library/busybox:1"),
              ElementsAre("mirror mirror-a.local/dockerhub/library/busybox:1",
                          "mirror mirror-b.local/library/busybox:1 (insecure)",
                          "registry-1.docker.io/library/busybox:1"));
  std::string digest = "sha256:" + std::string(64, 'b');
  // tag-only mirrors are skipped for digests.
  EXPECT_THAT(Sources(conf, "docker.io/library/busybox@" + digest),
              ElementsAre("mirror mirror-a.local/dockerhub/library/busybox@" + digest,
                          "registry-1.docker.io/library/busybox@" + digest));
  // The longest prefix wins, and a prefix matches whole path components only.
  EXPECT_THAT(Sources(conf, "docker.io/library/special:2"), ElementsAre("special.local/only:2"));
  EXPECT_THAT(Sources(conf, "docker.io/library/specialist:2"),
              ::testing::Contains("registry-1.docker.io/library/specialist:2"));
  // No matching registry: the reference itself.
  EXPECT_THAT(Sources(conf, "quay.io/x/y:z"), ElementsAre("quay.io/x/y:z"));
}

TEST(PullSourcesTest, DigestOnlyMirrorsAndBlockedAndWildcards) {
  RegistriesConf conf = Parse(R"(
[[registry]]
location = "q.io"
mirror-by-digest-only = true
[[registry.mirror]]
location = "m.io"
[[registry]]
prefix = "*.corp.example"
insecure = true
[[registry]]
location = "bad.io"
blocked = true
)");
  EXPECT_THAT(Sources(conf, "q.io/a:1"), ElementsAre("q.io/a:1"));
  std::string digest = "sha256:" + std::string(64, 'c');
  EXPECT_THAT(Sources(conf, "q.io/a@" + digest),
              ElementsAre("mirror m.io/a@" + digest, "q.io/a@" + digest));
  EXPECT_THAT(Sources(conf, "reg.corp.example/a:1"),
              ElementsAre("reg.corp.example/a:1 (insecure)"));
  EXPECT_THAT(Sources(conf, "corp.example/a:1"), ElementsAre("corp.example/a:1"));
  EXPECT_THAT(Sources(conf, "bad.io/a:1")[0], HasSubstr("registry bad.io is blocked"));
}

TEST(ShortNameTest, AliasesSearchRegistriesAndEnforcing) {
  RegistriesConf conf = Parse(R"(
unqualified-search-registries = ["quay.io", "docker.io"]
[aliases]
"busybox" = "docker.io/library/busybox"
)");
  absl::StatusOr<std::vector<Reference>> resolved = ResolveShortName(conf, Ref("busybox:1.36"));
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->at(0).String(), "docker.io/library/busybox:1.36");

  absl::StatusOr<std::vector<Reference>> ambiguous = ResolveShortName(conf, Ref("nginx"));
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_THAT(std::string(ambiguous.status().message()),
              HasSubstr("use one of quay.io/nginx:latest, docker.io/library/nginx:latest"));

  conf.short_name_mode = "permissive";
  resolved = ResolveShortName(conf, Ref("nginx"));
  ASSERT_TRUE(resolved.ok());
  ASSERT_EQ(resolved->size(), 2u);
  EXPECT_EQ(resolved->at(1).String(), "docker.io/library/nginx:latest");

  conf.short_name_mode = "enforcing";
  conf.unqualified_search_registries = {"docker.io"};
  resolved = ResolveShortName(conf, Ref("nginx"));
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->at(0).String(), "docker.io/library/nginx:latest");

  conf.unqualified_search_registries.clear();
  EXPECT_THAT(std::string(ResolveShortName(conf, Ref("nginx")).status().message()),
              HasSubstr("use a fully qualified image name"));
}

}  // namespace
}  // namespace crio::image
