/**
 * The server's table of peer budgets (`src/rpc/_server_call.ts`): a budget
 * with nothing in flight is kept for the peer's next call, and the table
 * stays bounded however many peers come and go.
 */

import { assert, assertEquals } from "../_assert.ts";
import {
  IDLE_PEERS,
  PeerTable,
  type ServedCall,
} from "../../src/rpc/_server_call.ts";

Deno.test("a peer's budget is kept for its next call once nothing is in flight", () => {
  const peers = new PeerTable();
  const b = peers.take("a");
  b.calls++;
  b.calls--;
  peers.settle(b);
  assert(peers.take("a") === b, "a new budget");
  assertEquals(peers.size, 1);
});

Deno.test("an idle peer starts over: its refusals and pauses are forgotten", () => {
  const peers = new PeerTable();
  const b = peers.take("a");
  b.calls = 1;
  b.refused = 10;
  b.pauses = 2;
  peers.settle(b);
  assertEquals([b.refused, b.pauses], [10, 2], "a call is still in flight");
  b.calls = 0;
  b.sends = 1;
  peers.settle(b);
  assertEquals([b.refused, b.pauses], [10, 2], "a reply is still unsent");
  b.sends = 0;
  peers.settle(b);
  assertEquals([b.refused, b.pauses], [0, 0]);
});

Deno.test("peers that come and go leave at most IDLE_PEERS budgets", () => {
  const peers = new PeerTable();
  for (let i = 0; i < 20 * IDLE_PEERS; i++) {
    const b = peers.take(`peer ${i}`);
    b.calls++;
    b.calls--;
    peers.settle(b);
    assert(peers.size <= IDLE_PEERS, `${peers.size} budgets after ${i} peers`);
  }
});

Deno.test("budgets with something in flight are never dropped", () => {
  const peers = new PeerTable();
  const busy = 3 * IDLE_PEERS;
  const held = [];
  for (let i = 0; i < busy; i++) {
    const b = peers.take(`busy ${i}`);
    if (i % 2 === 0) b.calls = 1;
    else b.sends = 1;
    held.push(b);
  }
  for (let i = 0; i < 10 * IDLE_PEERS; i++) {
    const b = peers.take(`idle ${i}`);
    peers.settle(b);
    assert(
      peers.size <= 2 * busy + IDLE_PEERS,
      `${peers.size} budgets with ${busy} busy`,
    );
  }
  held.forEach((b, i) =>
    assert(peers.get(`busy ${i}`) === b, `busy ${i} dropped`)
  );
});

/** A stand-in for a served call: the table reads its id and budget. */
function call(peers: PeerTable, pk: string, requestId: number): ServedCall {
  const budget = peers.take(pk);
  budget.calls++;
  return { requestId, budget } as ServedCall;
}

Deno.test("a peer's unanswered calls are found by request id until removed", () => {
  const peers = new PeerTable();
  const calls = [7, 8, 9].map((id) => call(peers, "a", id));
  const other = call(peers, "b", 7);
  for (const c of [...calls, other]) peers.addCall(c);
  for (const c of calls) assert(peers.findCall("a", c.requestId) === c);
  assert(peers.findCall("b", 7) === other);
  assert(peers.findCall("b", 8) === undefined);
  assert(peers.findCall("c", 7) === undefined);
  assertEquals(peers.unanswered().length, 4);
  peers.removeCall(calls[0]);
  assert(peers.findCall("a", 7) === undefined);
  assert(!peers.hasCall(calls[0].budget, 7));
  assert(peers.hasCall(calls[0].budget, 8));
  // The free place takes the next call; the others stay where they are.
  const next = call(peers, "a", 10);
  peers.addCall(next);
  for (const c of [calls[1], calls[2], next]) {
    assert(peers.findCall("a", c.requestId) === c);
  }
  for (const c of [calls[1], calls[2], next, other]) peers.removeCall(c);
  assertEquals(peers.unanswered(), []);
  for (const id of [7, 8, 9, 10]) assert(peers.findCall("a", id) === undefined);
});

/**
 * Answers a call of id `id`, admits a new one of the same id, then
 * removes the first again (a late second answer): the new one stays.
 */
function removeStaleAgain(peers: PeerTable, id: number, where: string) {
  const stale = call(peers, "a", id);
  peers.addCall(stale);
  peers.removeCall(stale);
  const again = call(peers, "a", id);
  peers.addCall(again);
  peers.removeCall(stale);
  assert(peers.findCall("a", id) === again, where);
}

Deno.test("removing an answered call again leaves a newer call of its id", () => {
  const peers = new PeerTable();
  removeStaleAgain(peers, 2, "in the field: the peer's only call");
  removeStaleAgain(peers, 3, "in the map: beside another call");
  assertEquals(peers.unanswered().length, 2);
});
