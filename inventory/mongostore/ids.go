package mongostore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Asset IDs are handed out in blocks of IDBlockSize consecutive numbers.
// A store claims a block by inserting the document {_id: "assets/<block>"}
// into CountersCollection. The insert of a new _id is atomic on MongoDB
// and on FerretDB (there _id is a unique key of the SQLite table), so two
// stores, in one process or in many, never hold the same block, without a
// transaction and without relying on $inc, which FerretDB 1.x does not
// apply atomically (it reads the counter and writes it back apart). A
// store gives out the IDs of the block it holds under its own mutex.
//
// IDs are therefore unique across every writer of the database, and
// increasing within one store, but not dense: IDs reserved for a write
// that turned out to be an update, and the rest of a block when its store
// closes, stay unused. Across stores the order of IDs is not the order of
// inserts.
const IDBlockSize = 1000

// claimAttempts bounds the blocks a claim tries before giving up; after
// every few taken ones it looks up the highest claimed block again.
const claimAttempts = 64

// idBlocks is a store's state of ID allocation.
type idBlocks struct {
	mu         sync.Mutex
	next, end  int64 // the unused IDs [next, end) of the block held
	try        int64 // the next block to claim
	tryIsKnown bool  // try has been looked up
}

// blockKey is the _id of the claim of block b. Zero-padded, so claims
// sort in block order.
func blockKey(b int64) string { return fmt.Sprintf("%s/%016d", assetSequence, b) }

// nextIDs returns n unused asset IDs, claiming blocks as needed.
func (s *Store) nextIDs(ctx context.Context, n int) ([]int64, error) {
	s.ids.mu.Lock()
	defer s.ids.mu.Unlock()
	out := make([]int64, 0, n)
	for len(out) < n {
		if s.ids.next == s.ids.end {
			if err := s.claimBlock(ctx); err != nil {
				return nil, err
			}
		}
		k := min(int64(n-len(out)), s.ids.end-s.ids.next)
		for i := range k {
			out = append(out, s.ids.next+i)
		}
		s.ids.next += k
	}
	return out, nil
}

// claimBlock claims the next free block for the store. s.ids.mu is held.
func (s *Store) claimBlock(ctx context.Context) error {
	for attempt := range claimAttempts {
		if !s.ids.tryIsKnown || attempt > 0 && attempt%8 == 0 {
			b, err := s.firstFreeBlock(ctx)
			if err != nil {
				return wrap("claim ids", err)
			}
			s.ids.try, s.ids.tryIsKnown = max(b, s.ids.try), true
		}
		b := s.ids.try
		s.ids.try++
		_, err := s.counters.InsertOne(ctx, bson.D{{Key: "_id", Value: blockKey(b)}, {Key: "claimed_at", Value: time.Now().UTC()}})
		if err == nil {
			s.ids.next, s.ids.end = b*IDBlockSize+1, (b+1)*IDBlockSize+1
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return wrap("claim ids", err)
		}
		// Another store holds block b: try the next.
	}
	return fmt.Errorf("mongostore: claim ids: every block tried was taken (%d attempts)", claimAttempts)
}

// firstFreeBlock returns the block after the highest claimed one, and at
// least the first block above the IDs of the $inc sequence that stores of
// layout version 1 kept in the counters document "assets".
func (s *Store) firstFreeBlock(ctx context.Context) (int64, error) {
	var legacy struct {
		Seq int64 `bson:"seq"`
	}
	err := s.counters.FindOne(ctx, idFilter(assetSequence)).Decode(&legacy)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return 0, err
	}
	first := (legacy.Seq + IDBlockSize - 1) / IDBlockSize
	var last struct {
		Key string `bson:"_id"`
	}
	// "0" follows "/": the range holds exactly the claims.
	err = s.counters.FindOne(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: assetSequence + "/"}, {Key: "$lt", Value: assetSequence + "0"}}}},
		options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}}).SetProjection(bson.D{{Key: "_id", Value: 1}})).Decode(&last)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return first, nil
	case err != nil:
		return 0, err
	}
	var b int64
	if _, err := fmt.Sscanf(last.Key[len(assetSequence)+1:], "%d", &b); err != nil {
		return 0, fmt.Errorf("mongostore: unreadable ID block claim %q", last.Key)
	}
	return max(first, b+1), nil
}
