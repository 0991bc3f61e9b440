// Requests whose bytes do not parse, sent as raw bytes from outside: every gpop.v1 method
// answers INVALID_ARGUMENT with gpop's ErrorInfo (reason MALFORMED_REQUEST), not gRPC's bare
// UNIMPLEMENTED, and nothing is started.

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
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
std::vector<std::pair<std::string, std::string>> HostileBodies(const std::string& method) {
  std::vector<std::pair<std::string, std::string>> bodies = {
      {"truncated varint", std::string("\x10\xff\xff", 3)},
      {"length past the end", std::string("\x0a\x7f"
                                          "abc",
                                          5)},
      {"garbage", std::string("\xff\xff\xff\xff\xff\xff", 6)},
      {"wire type 7", std::string("\x0f\x00", 2)},
  };
  const google::protobuf::MethodDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          "gpop.v1.GroupPolicyOperations." + method);
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

}  // namespace
}  // namespace gpop::e2e
