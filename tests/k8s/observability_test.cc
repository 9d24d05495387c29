// Metrics in Prometheus' text format, and the gRPC health service Kubernetes probes.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "adapters/k8s/metrics.h"
#include "adapters/k8s/servers.h"
#include "gtest/gtest.h"

namespace gitdest::k8s {
namespace {

TEST(MetricsTest, RendersFamiliesLabelsAndHistograms) {
  Metrics m;
  m.Declare("gitdest_pushes_total", Metrics::Type::kCounter, "Pushes, by result");
  m.Declare("gitdest_leader", Metrics::Type::kGauge, "1 while leading");
  m.Declare("gitdest_push_duration_seconds", Metrics::Type::kHistogram, "Push time");
  m.Add("gitdest_pushes_total", {{"result", "pushed"}});
  m.Add("gitdest_pushes_total", {{"result", "pushed"}});
  m.Add("gitdest_pushes_total", {{"result", "say \"hi\"\n"}});
  m.Set("gitdest_leader", {}, 1);
  m.Observe("gitdest_push_duration_seconds", {}, 0.3);
  const std::string text = m.Render();
  EXPECT_NE(text.find("# HELP gitdest_pushes_total Pushes, by result\n"
                      "# TYPE gitdest_pushes_total counter\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("gitdest_pushes_total{result=\"pushed\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("gitdest_pushes_total{result=\"say \\\"hi\\\"\\n\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("gitdest_leader 1\n"), std::string::npos);
  EXPECT_NE(text.find("gitdest_push_duration_seconds_bucket{le=\"0.25\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("gitdest_push_duration_seconds_bucket{le=\"0.5\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("gitdest_push_duration_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("gitdest_push_duration_seconds_count 1\n"), std::string::npos);
  EXPECT_EQ(m.Value("gitdest_pushes_total", {{"result", "pushed"}}), 2);
}

// grpc.health.v1.Health/Check by hand: HealthCheckRequest{service = 1} and
// HealthCheckResponse{status = 1} are one field each, so the bytes are written here.
int Check(grpc::GenericStub& stub, const std::string& service) {
  std::string request;
  if (!service.empty()) {
    request = absl::StrCat(std::string(1, '\x0a'),
                           std::string(1, static_cast<char>(service.size())), service);
  }
  grpc::Slice slice(request);
  grpc::ByteBuffer in(&slice, 1);
  grpc::ByteBuffer out;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Status status;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &in, &out,
                 [&](grpc::Status s) {
                   std::lock_guard lock(mu);
                   status = s;
                   done = true;
                   cv.notify_all();
                 });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done; });
  if (!status.ok()) return -static_cast<int>(status.error_code());
  std::vector<grpc::Slice> slices;
  (void)out.Dump(&slices);
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes.size() == 2 && bytes[0] == '\x08' ? bytes[1] : 0;  // 1 SERVING, 2 NOT_SERVING
}

TEST(HealthServerTest, LivenessAtOnceReadinessOnceSynced) {
  auto server = HealthServer::Start("127.0.0.1", 0);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  EXPECT_EQ(Check(stub, "liveness"), 1);
  EXPECT_EQ(Check(stub, "readiness"), 2);
  EXPECT_EQ(Check(stub, ""), 2);
  (*server)->SetReady(true);
  EXPECT_EQ(Check(stub, "readiness"), 1);
  EXPECT_EQ(Check(stub, ""), 1);
  EXPECT_EQ(Check(stub, "nope"), -static_cast<int>(grpc::StatusCode::NOT_FOUND));
}

}  // namespace
}  // namespace gitdest::k8s
