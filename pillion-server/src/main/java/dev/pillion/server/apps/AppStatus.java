package dev.pillion.server.apps;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.Code;
import com.google.rpc.Status;

/** Reads the {@code google.rpc.Status} a Wasm app's handler returns as its error. */
final class AppStatus {
  private AppStatus() {}

  /**
   * The error for a message: its code's name and its text.
   *
   * @param bytes the error block
   * @return e.g. {@code INTERNAL: no such order}; bytes that are no Status are said to be so
   */
  static String describe(byte[] bytes) {
    try {
      Status status = Status.parseFrom(bytes);
      Code code = Code.forNumber(status.getCode());
      return (code == null ? "code " + status.getCode() : code.name()) + ": " + status.getMessage();
    } catch (InvalidProtocolBufferException e) {
      return "an error that is not a google.rpc.Status (" + bytes.length + " bytes)";
    }
  }
}
