// Requests whose bytes do not parse, sent as raw bytes from outside: every method of
// gpop.v1.GroupPolicyOperations, google.longrunning.Operations and gpop.v1.BackupTransfer
// answers INVALID_ARGUMENT with gpop's ErrorInfo (reason MALFORMED_REQUEST), not gRPC's bare
// UNIMPLEMENTED, and nothing is started or written.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "gpop/v1/transfer.grpc.pb.h"
#include "gtest/gtest.h"
#include "service/api/transfer_service.h"
#include "service/transfer/upload_store.h"
#include "tests/e2e/test_certs.h"
#include "tests/e2e/test_server.h"

namespace gpop::e2e {
namespace {

grpc::ByteBuffer Bytes(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

grpc::Status CallUnary(grpc::Channel* channel, const std::string& method,
                       const std::string& bytes) {
  grpc::GenericStub stub(channel->shared_from_this());
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::ByteBuffer request = Bytes(bytes);
  auto call = stub.PrepareUnaryCall(&context, method, request, &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  EXPECT_TRUE(cq.Next(&tag, &ok));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

grpc::Status CallStream(grpc::Channel* channel, const std::string& method,
                        const std::string& bytes) {
  grpc::GenericStub stub(channel->shared_from_this());
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call = stub.PrepareCall(&context, method, &cq);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(reinterpret_cast<void*>(1));
  EXPECT_TRUE(cq.Next(&tag, &ok));
  grpc::ByteBuffer request = Bytes(bytes);
  call->WriteLast(request, grpc::WriteOptions(), reinterpret_cast<void*>(2));
  EXPECT_TRUE(cq.Next(&tag, &ok));
  grpc::ByteBuffer item;
  int items = 0;
  while (true) {
    call->Read(&item, reinterpret_cast<void*>(3));
    EXPECT_TRUE(cq.Next(&tag, &ok));
    if (!ok) break;
    ++items;
  }
  EXPECT_EQ(items, 0);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  EXPECT_TRUE(cq.Next(&tag, &ok));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

// Bodies that no message parses, plus, when `method`'s request has a string field, that field
// holding invalid UTF-8. (A known field number with another wire type is an unknown field, which
// proto3 keeps: not malformed.)
// `method` is "Method" of gpop.v1.GroupPolicyOperations or "package.Service.Method".
std::vector<std::pair<std::string, std::string>> HostileBodies(std::string method) {
  if (method.find('.') == std::string::npos) method = "gpop.v1.GroupPolicyOperations." + method;
  std::vector<std::pair<std::string, std::string>> bodies = {
      {"truncated varint", std::string("\x10\xff\xff", 3)},
      {"length past the end", std::string("\x0a\x7f"
                                          "abc",
                                          5)},
      {"garbage", std::string("\xff\xff\xff\xff\xff\xff", 6)},
      {"wire type 7", std::string("\x0f\x00", 2)},
  };
  const google::protobuf::MethodDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(method);
  EXPECT_NE(descriptor, nullptr) << method;
  if (descriptor == nullptr) return bodies;
  const google::protobuf::Descriptor* input = descriptor->input_type();
  for (int i = 0; i < input->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = input->field(i);
    if (field->type() != google::protobuf::FieldDescriptor::TYPE_STRING || field->number() > 15) {
      continue;
    }
    std::string body(1, static_cast<char>(field->number() << 3 | 2));
    body += std::string("\x03\xff\xfe\xfd", 4);
    bodies.emplace_back("invalid UTF-8 in " + field->name(), body);
    break;
  }
  return bodies;
}

void ExpectMalformed(const grpc::Status& status, const std::string& what) {
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << what << ": " << status.error_message();
  EXPECT_EQ(ErrorInfoOf(status).reason(), "MALFORMED_REQUEST") << what;
  EXPECT_EQ(ErrorInfoOf(status).domain(), "gpop.dev") << what;
}

TEST(HostileRequestsTest, UnaryMethodsAnswerInvalidArgument) {
  TestServer server;
  auto channel = server.NewChannel();
  for (const char* method :
       {"StartOperation", "Cancel", "GetOperation", "ListOperations", "ListGpos", "ListBackups"}) {
    for (const auto& [what, bytes] : HostileBodies(method)) {
      ExpectMalformed(
          CallUnary(channel.get(), std::string("/gpop.v1.GroupPolicyOperations/") + method, bytes),
          std::string(method) + ", " + what);
    }
  }
  // Nothing was started; a well-formed (empty) request still works.
  v1::ListOperationsResponse list;
  grpc::ClientContext context;
  ASSERT_TRUE(server.stub().ListOperations(&context, {}, &list).ok());
  EXPECT_EQ(list.operations_size(), 0);
  EXPECT_TRUE(CallUnary(channel.get(), "/gpop.v1.GroupPolicyOperations/ListOperations", "").ok());
}

// Invalid UTF-8 is refused without the line libprotobuf's parser would write to stderr for
// each such request (a log a caller could fill at will), and the answer names the field.
TEST(HostileRequestsTest, InvalidUtf8LeavesNoProtobufLogLine) {
  TestServer server;
  auto channel = server.NewChannel();
  // StartOperationRequest.spec (2) { backup (1) { gpo (1) { display_name (2): "\xff\xfe" } } }
  const std::string body("\x12\x08\x0a\x06\x0a\x04\x12\x02\xff\xfe", 10);
  ::testing::internal::CaptureStderr();
  std::vector<grpc::Status> answers;
  for (int i = 0; i < 20; ++i) {
    answers.push_back(
        CallUnary(channel.get(), "/gpop.v1.GroupPolicyOperations/StartOperation", body));
  }
  const std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(logged.find("libprotobuf"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("invalid UTF-8 data"), std::string::npos) << logged;
  for (const grpc::Status& status : answers) {
    ExpectMalformed(status, "invalid UTF-8 in spec.backup.gpo.display_name");
    const google::rpc::ErrorInfo info = ErrorInfoOf(status);
    auto field = info.metadata().find("field");
    ASSERT_NE(field, info.metadata().end()) << info.DebugString();
    EXPECT_EQ(field->second, "spec.backup.gpo.display_name");
  }
}

TEST(HostileRequestsTest, StreamMethodsAnswerInvalidArgument) {
  TestServer server;
  auto channel = server.NewChannel();
  for (const char* method : {"StreamStatus", "WatchOperations"}) {
    for (const auto& [what, bytes] : HostileBodies(method)) {
      ExpectMalformed(
          CallStream(channel.get(), std::string("/gpop.v1.GroupPolicyOperations/") + method, bytes),
          std::string(method) + ", " + what);
    }
  }
}

// Every method of the named service with its hostile bodies; checks each request type has a
// string field to put invalid UTF-8 in.
std::vector<const google::protobuf::MethodDescriptor*> MethodsOf(const std::string& service) {
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  EXPECT_NE(descriptor, nullptr) << service;
  std::vector<const google::protobuf::MethodDescriptor*> methods;
  if (descriptor == nullptr) return methods;
  for (int i = 0; i < descriptor->method_count(); ++i) methods.push_back(descriptor->method(i));
  return methods;
}

std::string PathOf(const google::protobuf::MethodDescriptor* method) {
  return "/" + method->service()->full_name() + "/" + method->name();
}

void ExpectEveryMethodMalformed(grpc::Channel* channel, const std::string& service) {
  const std::vector<const google::protobuf::MethodDescriptor*> methods = MethodsOf(service);
  EXPECT_FALSE(methods.empty());
  for (const google::protobuf::MethodDescriptor* method : methods) {
    std::vector<std::pair<std::string, std::string>> bodies = HostileBodies(method->full_name());
    EXPECT_EQ(bodies.size(), 5u) << method->full_name() << ": no string field for invalid UTF-8";
    for (const auto& [what, bytes] : bodies) {
      const bool streams = method->client_streaming() || method->server_streaming();
      ExpectMalformed(streams ? CallStream(channel, PathOf(method), bytes)
                              : CallUnary(channel, PathOf(method), bytes),
                      method->full_name() + ", " + what);
    }
  }
}

TEST(HostileRequestsTest, LroMethodsAnswerInvalidArgument) {
  TestServer server;
  v1::Operation op = Start(server.stub(), SyntheticBackup(1, 1));
  ASSERT_FALSE(op.id().empty());
  ASSERT_TRUE(WaitForState(server.stub(), op.id(), v1::SUCCEEDED));
  auto channel = server.NewChannel();
  ExpectEveryMethodMalformed(channel.get(), "google.longrunning.Operations");
  // Nothing was deleted or cancelled; a well-formed request still works.
  google::longrunning::GetOperationRequest get;
  get.set_name("operations/" + op.id());
  google::longrunning::Operation lro;
  grpc::ClientContext context;
  ASSERT_TRUE(server.lro().GetOperation(&context, get, &lro).ok());
  EXPECT_TRUE(lro.done());
  EXPECT_TRUE(CallUnary(channel.get(), "/google.longrunning.Operations/ListOperations", "").ok());
}

// A server with gpop.v1.BackupTransfer over an empty backup location.
class HostileTransferTest : public ::testing::Test {
 protected:
  HostileTransferTest() {
    location_ = std::filesystem::path(dir_.path()) / "backups";
    std::filesystem::create_directories(location_);
    transfer::UploadOptions uploads;
    uploads.dir = std::filesystem::path(dir_.path()) / "uploads";
    uploads.locations.folders["default"] = location_;
    uploads.locations.default_name = "default";
    auto store = transfer::UploadStore::Open(uploads);
    EXPECT_TRUE(store.ok());
    uploads_ = std::move(*store);
    api::ServerOptions options;
    options.extra_services.push_back(
        [this](api::OperationsApi* api, api::CallAuthentication auth) {
          return std::unique_ptr<grpc::Service>(std::make_unique<api::TransferService>(
              api, auth, uploads_.get(), std::filesystem::path(dir_.path()) / "downloads"));
        });
    server_ = std::make_unique<TestServer>(options, engine::EngineOptions{});
  }

  TempDir dir_;
  std::filesystem::path location_;
  std::unique_ptr<transfer::UploadStore> uploads_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(HostileTransferTest, EveryMethodAnswersInvalidArgument) {
  auto channel = server_->NewChannel();
  ExpectEveryMethodMalformed(channel.get(), "gpop.v1.BackupTransfer");
  EXPECT_TRUE(std::filesystem::is_empty(location_));
}

TEST_F(HostileTransferTest, AMalformedLaterUploadMessageEndsTheUpload) {
  auto channel = server_->NewChannel();
  auto stub = v1::BackupTransfer::NewStub(channel);
  v1::CreateUploadRequest create;
  create.set_total_bytes(1024);
  create.set_sha256(std::string(64, '0'));
  v1::Upload upload;
  {
    grpc::ClientContext context;
    grpc::Status status = stub->CreateUpload(&context, create, &upload);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  v1::WriteUploadRequest first;
  first.set_upload_id(upload.upload_id());
  first.set_data(std::string(100, 'x'));
  grpc::GenericStub generic(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call = generic.PrepareCall(&context, "/gpop.v1.BackupTransfer/WriteUpload", &cq);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  grpc::ByteBuffer good = Bytes(first.SerializeAsString());
  call->Write(good, reinterpret_cast<void*>(2));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  grpc::ByteBuffer bad = Bytes(std::string("\x10\xff\xff", 3));
  call->WriteLast(bad, grpc::WriteOptions(), reinterpret_cast<void*>(3));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  ExpectMalformed(status, "WriteUpload, second message");
  // Nothing was published; the upload is still receiving.
  v1::GetUploadRequest get;
  get.set_upload_id(upload.upload_id());
  v1::Upload after;
  grpc::ClientContext get_context;
  ASSERT_TRUE(stub->GetUpload(&get_context, get, &after).ok());
  EXPECT_EQ(after.state(), v1::RECEIVING);
  EXPECT_LE(after.received_bytes(), 100);
  EXPECT_TRUE(std::filesystem::is_empty(location_));
}

}  // namespace
}  // namespace gpop::e2e
