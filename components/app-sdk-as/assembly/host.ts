// The calls into the runtime: the imports of module pillion_dapr_v1 (docs/abi.md, "Dapr imports").
//
// An import takes a request's bytes and answers a block the host allocated with this module's malloc, packed as
// (ptr << 32) | len; bit 31 of len marks an error block (an encoded google.rpc.Status). The guest frees the block.

/** Bit 31 of a packed answer's length: the block is an error (a google.rpc.Status). */
export const ERROR_FLAG: u64 = 1 << 31;

// @ts-ignore: decorator
@external("pillion_dapr_v1", "get_state")
declare function get_state(ptr: usize, len: usize): u64;
// @ts-ignore: decorator
@external("pillion_dapr_v1", "get_bulk_state")
declare function get_bulk_state(ptr: usize, len: usize): u64;
// @ts-ignore: decorator
@external("pillion_dapr_v1", "save_state")
declare function save_state(ptr: usize, len: usize): u64;
// @ts-ignore: decorator
@external("pillion_dapr_v1", "delete_state")
declare function delete_state(ptr: usize, len: usize): u64;
// @ts-ignore: decorator
@external("pillion_dapr_v1", "delete_bulk_state")
declare function delete_bulk_state(ptr: usize, len: usize): u64;
// @ts-ignore: decorator
@external("pillion_dapr_v1", "execute_state_transaction")
declare function execute_state_transaction(ptr: usize, len: usize): u64;
// @ts-ignore: decorator
@external("pillion_dapr_v1", "publish_event")
declare function publish_event(ptr: usize, len: usize): u64;
// @ts-ignore: decorator
@external("pillion_dapr_v1", "bulk_publish_event")
declare function bulk_publish_event(ptr: usize, len: usize): u64;
// @ts-ignore: decorator
@external("pillion_dapr_v1", "invoke_service")
declare function invoke_service(ptr: usize, len: usize): u64;
// @ts-ignore: decorator
@external("pillion_dapr_v1", "get_secret")
declare function get_secret(ptr: usize, len: usize): u64;
// @ts-ignore: decorator
@external("pillion_dapr_v1", "get_bulk_secret")
declare function get_bulk_secret(ptr: usize, len: usize): u64;
// @ts-ignore: decorator
@external("pillion_dapr_v1", "get_metadata")
declare function get_metadata(ptr: usize, len: usize): u64;

/** The runtime's methods, one import each. */
export enum Import {
  GetState,
  GetBulkState,
  SaveState,
  DeleteState,
  DeleteBulkState,
  ExecuteStateTransaction,
  PublishEvent,
  BulkPublishEvent,
  InvokeService,
  GetSecret,
  GetBulkSecret,
  GetMetadata,
}

/** What an import answered: the encoded response, or (`failed`) the encoded google.rpc.Status of its error. */
export class Answer {
  constructor(readonly bytes: Uint8Array, readonly failed: bool) {}
}

/** Runs `method` with an encoded request. */
export function call(method: Import, request: Uint8Array): Answer {
  const ptr = request.dataStart;
  const len = <usize>request.byteLength;
  let packed: u64;
  switch (method) {
    case Import.GetState: packed = get_state(ptr, len); break;
    case Import.GetBulkState: packed = get_bulk_state(ptr, len); break;
    case Import.SaveState: packed = save_state(ptr, len); break;
    case Import.DeleteState: packed = delete_state(ptr, len); break;
    case Import.DeleteBulkState: packed = delete_bulk_state(ptr, len); break;
    case Import.ExecuteStateTransaction: packed = execute_state_transaction(ptr, len); break;
    case Import.PublishEvent: packed = publish_event(ptr, len); break;
    case Import.BulkPublishEvent: packed = bulk_publish_event(ptr, len); break;
    case Import.InvokeService: packed = invoke_service(ptr, len); break;
    case Import.GetSecret: packed = get_secret(ptr, len); break;
    case Import.GetBulkSecret: packed = get_bulk_secret(ptr, len); break;
    default: packed = get_metadata(ptr, len); break;
  }
  return take(packed);
}

/** Takes ownership of a block the host returned: copies it out and frees it. */
function take(packed: u64): Answer {
  const ptr = <usize>(packed >>> 32);
  const len = <i32>(packed & (ERROR_FLAG - 1));
  const bytes = new Uint8Array(ptr == 0 ? 0 : len);
  if (ptr != 0) {
    memory.copy(bytes.dataStart, ptr, <usize>len);
    heap.free(ptr);
  }
  return new Answer(bytes, (packed & ERROR_FLAG) != 0);
}
