package dev.pillion.server.internals;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.pillion.server.internals.v1.ApiVersionProtos.APIVersion;
import dev.pillion.server.internals.v1.InternalStatusProtos.Status;
import dev.pillion.server.internals.v1.ServiceInvocationGrpc;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.Actor;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeRequest;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeRequestStream;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeResponse;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.ListStringValue;
import io.dapr.v1.CommonProtos.HTTPExtension;
import io.dapr.v1.CommonProtos.InvokeRequest;
import io.dapr.v1.CommonProtos.InvokeResponse;
import io.dapr.v1.CommonProtos.StreamPayload;
import io.grpc.MethodDescriptor.MethodType;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The generated internal invocation protocol has daprd's names and field numbers: what a daprd
 * sidecar sends can be read, and what Pillion sends daprd can read.
 */
class ServiceInvocationProtocolTest {

  private static final InvokeRequest INVOKE =
      InvokeRequest.newBuilder()
          .setMethod("orders/42")
          .setData(Any.newBuilder().setValue(ByteString.copyFromUtf8("{\"a\":1}")))
          .setContentType("application/json")
          .setHttpExtension(
              HTTPExtension.newBuilder().setVerb(HTTPExtension.Verb.PUT).setQuerystring("x=1&y=2"))
          .build();

  @Test
  void serviceHasDaprdsFullNameAndMethodShapes() {
    assertThat(ServiceInvocationGrpc.SERVICE_NAME)
        .isEqualTo("dapr.proto.internals.v1.ServiceInvocation");
    assertThat(ServiceInvocationGrpc.getCallLocalMethod().getFullMethodName())
        .isEqualTo("dapr.proto.internals.v1.ServiceInvocation/CallLocal");
    assertThat(ServiceInvocationGrpc.getCallLocalMethod().getType()).isEqualTo(MethodType.UNARY);
    assertThat(ServiceInvocationGrpc.getCallLocalStreamMethod().getFullMethodName())
        .isEqualTo("dapr.proto.internals.v1.ServiceInvocation/CallLocalStream");
    assertThat(ServiceInvocationGrpc.getCallLocalStreamMethod().getType())
        .isEqualTo(MethodType.BIDI_STREAMING);
  }

  @Test
  void requestRoundTripsAndUsesDaprdsFieldNumbers() throws IOException {
    InternalInvokeRequest request =
        InternalInvokeRequest.newBuilder()
            .setVer(APIVersion.V1)
            .putMetadata(
                "x-trace", ListStringValue.newBuilder().addValues("a").addValues("b").build())
            .setMessage(INVOKE)
            .setActor(Actor.newBuilder().setActorType("cart").setActorId("7"))
            .build();
    byte[] wire = request.toByteArray();

    assertThat(InternalInvokeRequest.parseFrom(wire)).isEqualTo(request);
    Map<Integer, Object> fields = fields(wire);
    // ver = 1 is a varint holding V1 = 1.
    assertThat(fields.get(1)).isEqualTo(1L);
    // metadata = 2 is a map entry: key (1) and ListStringValue (2) whose values are field 1.
    Map<Integer, Object> entry = fields((byte[]) fields.get(2));
    assertThat(new String((byte[]) entry.get(1), UTF_8)).isEqualTo("x-trace");
    assertThat(ListStringValue.parseFrom((byte[]) entry.get(2)).getValuesList())
        .containsExactly("a", "b");
    // message = 3 is Dapr's common InvokeRequest, readable by the SDK's own class.
    assertThat(InvokeRequest.parseFrom((byte[]) fields.get(3))).isEqualTo(INVOKE);
    // actor = 4: actor_type 1, actor_id 2.
    Map<Integer, Object> actor = fields((byte[]) fields.get(4));
    assertThat(new String((byte[]) actor.get(1), UTF_8)).isEqualTo("cart");
    assertThat(new String((byte[]) actor.get(2), UTF_8)).isEqualTo("7");
  }

  @Test
  void responseRoundTripsAndUsesDaprdsFieldNumbers() throws IOException {
    InvokeResponse body =
        InvokeResponse.newBuilder()
            .setData(Any.newBuilder().setValue(ByteString.copyFromUtf8("not found")))
            .setContentType("text/plain")
            .build();
    InternalInvokeResponse response =
        InternalInvokeResponse.newBuilder()
            .setStatus(Status.newBuilder().setCode(404).setMessage("Not Found"))
            .putHeaders(
                "content-type", ListStringValue.newBuilder().addValues("text/plain").build())
            .putTrailers("grpc-status", ListStringValue.newBuilder().addValues("0").build())
            .setMessage(body)
            .build();
    byte[] wire = response.toByteArray();

    assertThat(InternalInvokeResponse.parseFrom(wire)).isEqualTo(response);
    Map<Integer, Object> fields = fields(wire);
    Map<Integer, Object> status = fields((byte[]) fields.get(1));
    assertThat(status.get(1)).isEqualTo(404L);
    assertThat(new String((byte[]) status.get(2), UTF_8)).isEqualTo("Not Found");
    assertThat(fields).containsKeys(2, 3);
    assertThat(InvokeResponse.parseFrom((byte[]) fields.get(4))).isEqualTo(body);
  }

  @Test
  void streamChunkCarriesPayloadAsField2WithSequence() throws IOException {
    InternalInvokeRequestStream chunk =
        InternalInvokeRequestStream.newBuilder()
            .setPayload(
                StreamPayload.newBuilder().setData(ByteString.copyFromUtf8("chunk")).setSeq(3))
            .build();
    byte[] wire = chunk.toByteArray();

    assertThat(InternalInvokeRequestStream.parseFrom(wire)).isEqualTo(chunk);
    Map<Integer, Object> fields = fields(wire);
    assertThat(fields).containsOnlyKeys(2);
    assertThat(fields((byte[]) fields.get(2)).get(2)).isEqualTo(3L);
  }

  /**
   * Reads one level of a message: each field number to its varint or its length-delimited bytes.
   */
  private static Map<Integer, Object> fields(byte[] wire) throws IOException {
    Map<Integer, Object> fields = new LinkedHashMap<>();
    CodedInputStream input = CodedInputStream.newInstance(wire);
    for (int tag = input.readTag(); tag != 0; tag = input.readTag()) {
      int number = WireFormat.getTagFieldNumber(tag);
      switch (WireFormat.getTagWireType(tag)) {
        case WireFormat.WIRETYPE_VARINT -> fields.put(number, input.readUInt64());
        case WireFormat.WIRETYPE_LENGTH_DELIMITED -> fields.put(number, input.readByteArray());
        default -> throw new AssertionError("unexpected wire type in tag " + tag);
      }
    }
    return fields;
  }
}
