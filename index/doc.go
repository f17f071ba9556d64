// Package index stores image embeddings and answers nearest-neighbour
// queries over them.
//
// Two in-memory vector indexes are provided, both safe for concurrent use:
//
//   - [Exact] scans every stored vector. Batches of queries are scored with
//     [kernels.Sgemm] block by block, single queries with the distance
//     kernels (short vectors in 16-row blocks, [kernels.DotBlocks]), and only
//     a bounded top-k heap per query is kept, so nothing is ever fully
//     sorted. [Exact.SetQuantize] (Options.Int8) scores int8 codes of the
//     vectors instead ([kernels.DotU8S8Rows], VNNI where the CPU has it;
//     batches 32 queries at a time with [kernels.DotU8S8Tile]: AMX tiles,
//     VNNI or AVX2, whichever the CPU has) and re-ranks the best
//     candidates with the floats.
//   - [HNSW] is a hierarchical navigable small world graph (Malkov and
//     Yashunin, 2018) with the heuristic neighbour selection of the paper's
//     algorithm 4. It answers approximate queries in logarithmic time.
//     [HNSW.SetQuantize] walks the graph with the int8 codes' distances
//     ([kernels.DotU8S8RowsIdx]) and re-ranks the ef nodes found.
//
// The int8 codes are derived from the float vectors; the quantiser they
// are made with is saved in the snapshot. An exact int8 index opened from a
// directory keeps its float vectors out of the heap, in a scratch file in
// that directory mapped into memory (unlinked at once, so it vanishes with
// the process; on Linux): they are read only to re-rank a few candidates a
// query, so they are page cache the kernel may evict, and what the index
// holds in memory is the codes. Should the file fail to grow (a full disk),
// the floats move back to the heap. An HNSW index keeps its floats in its
// node records, in memory.
//
// [Index] wraps either of them with entry metadata (path, label, content
// fingerprint) and crash-safe persistence in a directory; see [Open].
//
// # Scores
//
// Every search returns [Result] values sorted best first. For [Cosine] and
// [Dot] the score is the inner product of the query and the stored vector
// (for Cosine both are unit vectors, so the score is the cosine similarity);
// higher is better and results are in descending order. For [L2] the score is
// the Euclidean distance; lower is better and results are in ascending order.
// Ties are broken by ascending ID.
//
// # Deletion
//
// [Exact] deletes by moving its last vector into the freed row. [HNSW] marks
// the node deleted: it is skipped in results but keeps routing searches, and a
// search goes on until it has ef live candidates. [HNSW.Compact] (called by
// [Index.Compact] before every snapshot) removes deleted nodes, re-selecting
// with the heuristic the links of live nodes that pointed at them from their
// own and the deleted nodes' live neighbours, then renumbers the nodes. The
// graph is never rebuilt from scratch, except when an index is opened as HNSW
// from a snapshot without a graph (or one of another M); vectors in the log
// are inserted one record at a time on open.
//
// # On-disk layout
//
// A directory opened with [Open] holds:
//
//	LOCK        advisory lock (flock) held while the index is open
//	index.snap  the latest snapshot, absent until the first Compact
//	index.wal   the write-ahead log of changes made after the snapshot
//
// and, while an exact int8 index is open, an unlinked scratch file of its
// float vectors (vectors.f32.scratch-*; one a crash left before unlinking
// it is removed on the next open).
//
// All integers are little-endian; "str" is a uvarint length followed by that
// many bytes; "vec" is Meta.Dim IEEE-754 float32 values. Checksums are
// CRC-32C (Castagnoli).
//
// The write-ahead log starts with a header
//
//	magic "LKA-WAL\n" | version u32 = 1 | model str | dim u32 | metric u8 | crc u32
//
// (crc covers the header bytes before it) followed by records
//
//	length u32 | crc u32 of payload | crc u32 of the 8 bytes before it | payload
//
// whose payload is
//
//	kind u8 (1 add, 2 delete) | lsn u64 | count uvarint | count items
//	add item:    id u64 | path str | label str | fingerprint str | vec
//	delete item: id u64
//
// Log sequence numbers (lsn) increase by one per record. A record is written
// with one write call and fsynced before the call that made it returns, so a
// whole [Index.AddBatch] is atomic: after a crash it is either fully present
// or absent. On open, a damaged last record (cut short, or failing a checksum
// with no valid record after it: a write torn by a crash) is cut off with a
// warning; damage anywhere else is reported as [ErrCorrupt].
//
// The snapshot is
//
//	magic "LKA-SNP\n" | version u32 = 1 | flags u32 (bit 0: graph follows)
//	model str | dim u32 | metric u8 | lsn u64 | next id u64 | count u64
//	count entries: id u64 | path str | label str | fingerprint str | vec
//	graph (HNSW only): m u32 | efConstruction u32 | seed u64 | entry u32 | top level u8
//	    then per entry, in entry order: level u8, and for each layer 0..level
//	    count u16 | count neighbour positions u32
//	crc u32 of everything before it
//
// It is written to a temporary file, fsynced, renamed over index.snap and the
// directory fsynced; only then is the log truncated. Records whose lsn is not
// above the snapshot's are skipped on replay, so a crash at any point of a
// compaction loses nothing.
package index
