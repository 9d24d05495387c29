#include "adapters/k8s/kube_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "yaml-cpp/yaml.h"

namespace gitdest::k8s {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(what, ": cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The entry of a kubeconfig list (`clusters`, `users`, `contexts`) named `name`.
absl::StatusOr<YAML::Node> Named(const YAML::Node& root, const std::string& list,
                                 const std::string& name, const std::string& file) {
  const YAML::Node entries = root[list];
  if (entries && entries.IsSequence()) {
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i]["name"] && entries[i]["name"].as<std::string>() == name) return entries[i];
    }
  }
  return absl::NotFoundError(
      absl::StrCat("kubeconfig ", file, ": ", list, " has no entry named \"", name, "\""));
}

std::string Scalar(const YAML::Node& node, const std::string& key) {
  const YAML::Node value = node[key];
  return value && value.IsScalar() ? value.as<std::string>() : "";
}

// `<key>-data` (base64) or `<key>` (a file, relative to the kubeconfig's directory).
absl::StatusOr<std::string> DataOrFile(const YAML::Node& node, const std::string& key,
                                       const std::string& field, const std::string& file) {
  if (const std::string data = Scalar(node, key + "-data"); !data.empty()) {
    std::string decoded;
    if (!absl::Base64Unescape(data, &decoded)) {
      return absl::InvalidArgumentError(
          absl::StrCat("kubeconfig ", file, ": ", field, "-data is not base64"));
    }
    return decoded;
  }
  const std::string path = Scalar(node, key);
  if (path.empty()) return std::string();
  const std::filesystem::path resolved = std::filesystem::path(path).is_absolute()
                                             ? std::filesystem::path(path)
                                             : std::filesystem::path(file).parent_path() / path;
  return ReadFile(resolved.string(), absl::StrCat("kubeconfig ", file, ": ", field));
}

absl::StatusOr<KubeConfig> FromYaml(const YAML::Node& root, const std::string& file,
                                    std::string context) {
  if (context.empty()) context = Scalar(root, "current-context");
  if (context.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kubeconfig ", file,
                     ": no current-context; pass --context or set one with "
                     "`kubectl config use-context`"));
  }
  auto ctx = Named(root, "contexts", context, file);
  if (!ctx.ok()) return ctx.status();
  const YAML::Node c = (*ctx)["context"];
  auto cluster = Named(root, "clusters", Scalar(c, "cluster"), file);
  if (!cluster.ok()) return cluster.status();
  KubeConfig config;
  config.origin = absl::StrCat("kubeconfig ", file, " (context ", context, ")");
  config.namespace_ = Scalar(c, "namespace");
  const YAML::Node cl = (*cluster)["cluster"];
  config.server = std::string(absl::StripSuffix(Scalar(cl, "server"), "/"));
  if (config.server.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", file, ": cluster \"",
                                                   Scalar(c, "cluster"), "\" has no server"));
  }
  auto ca = DataOrFile(cl, "certificate-authority", "cluster.certificate-authority", file);
  if (!ca.ok()) return ca.status();
  config.ca_pem = *ca;
  if (const std::string user_name = Scalar(c, "user"); !user_name.empty()) {
    auto user = Named(root, "users", user_name, file);
    if (!user.ok()) return user.status();
    const YAML::Node u = (*user)["user"];
    auto cert = DataOrFile(u, "client-certificate", "user.client-certificate", file);
    auto key = DataOrFile(u, "client-key", "user.client-key", file);
    if (!cert.ok()) return cert.status();
    if (!key.ok()) return key.status();
    config.client_cert_pem = *cert;
    config.client_key_pem = *key;
    config.bearer_token = Scalar(u, "token");
    config.token_file = Scalar(u, "tokenFile");
    if (u["exec"] || u["auth-provider"]) {
      return absl::UnimplementedError(absl::StrCat(
          "kubeconfig ", file, ": user \"", user_name,
          "\" authenticates with an exec plugin or auth-provider, which gitdest does not "
          "run; use a client certificate or a token"));
    }
  }
  return config;
}

}  // namespace

absl::StatusOr<KubeConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  auto text = ReadFile(path, "kubeconfig");
  if (!text.ok()) return text.status();
  try {
    return FromYaml(YAML::Load(*text), path, context);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("kubeconfig ", path, ": not YAML (line ", e.mark.line + 1, ")"));
  }
}

absl::StatusOr<KubeConfig> InClusterConfig(const std::string& root) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr) {
    return absl::FailedPreconditionError(
        "not in a cluster: KUBERNETES_SERVICE_HOST/PORT are unset; pass --kubeconfig");
  }
  KubeConfig config;
  config.origin = "in-cluster";
  const std::string h = host;
  config.server =
      absl::StrCat("https://", h.find(':') == std::string::npos ? h : "[" + h + "]", ":", port);
  config.token_file = root + "/token";
  auto ca = ReadFile(root + "/ca.crt", "in-cluster CA");
  if (!ca.ok()) return ca.status();
  config.ca_pem = *ca;
  if (auto ns = ReadFile(root + "/namespace", "in-cluster namespace"); ns.ok()) {
    config.namespace_ = std::string(absl::StripAsciiWhitespace(*ns));
  }
  return config;
}

absl::StatusOr<KubeConfig> ResolveKubeConfig(const std::string& kubeconfig_flag,
                                             const std::string& context) {
  if (!kubeconfig_flag.empty()) return LoadKubeconfig(kubeconfig_flag, context);
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    const std::vector<std::string> files = absl::StrSplit(env, ':', absl::SkipEmpty());
    if (!files.empty()) return LoadKubeconfig(files.front(), context);
  }
  if (std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) return InClusterConfig();
  const char* home = std::getenv("HOME");
  return LoadKubeconfig(absl::StrCat(home == nullptr ? "" : home, "/.kube/config"), context);
}

}  // namespace gitdest::k8s
