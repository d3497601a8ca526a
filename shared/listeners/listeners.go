// Package listeners keeps each listener's place in a playlist for the
// skill (skill.Listeners): in a DynamoDB table (Table) for Lambda and
// `jokebox serve`, in memory (Memory) for `jokebox dev`.
//
// One item per listener, keyed by the skill's hash of the Alexa ID
// (skill.ListenerID), never the raw ID:
//
//	listener  S  hex SHA-256 of the userId (or personId)      partition key
//	format    S  "jb1"                                        anything else is foreign
//	version   N  manifest version
//	playlist  S  playlist name ("" is the library)
//	pos       N  position in the playlist's order
//	key       S  the entry's object key (or "#" + hash)
//	at        N  when the play started, Unix milliseconds
//	expires   N  Unix seconds, at + TTL (180 days): the table's TTL attribute
//
// A Put keeps the later play: it is conditional on the kept item being
// older (or foreign, or corrupt), so two devices writing at once leave the
// one that started last. An item that is foreign, corrupt or past its
// expiry reads as nothing kept, and the next Put overwrites it.
package listeners

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/jokebox/jokebox/shared/skill"
)

// TTL is how long a place is kept after its last play.
const TTL = 180 * 24 * time.Hour

// Attribute names of an item.
const (
	AttrListener = "listener" // the partition key
	AttrExpires  = "expires"  // the TTL attribute
	format       = "jb1"
)

// API is the part of *dynamodb.Client a Table uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Table keeps places in a DynamoDB table whose partition key is the string
// attribute "listener".
type Table struct {
	db   API
	name string
	now  func() time.Time
}

var _ skill.Listeners = (*Table)(nil)

// NewTable returns the table name reached through db.
func NewTable(db API, name string) *Table {
	return &Table{db: db, name: name, now: time.Now}
}

// Name is the table's name.
func (t *Table) Name() string { return t.name }

func key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrListener: &types.AttributeValueMemberS{Value: id}}
}

// Get reads the listener's place: one consistent GetItem.
func (t *Table) Get(ctx context.Context, id string) (skill.Place, bool, error) {
	out, err := t.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.name), Key: key(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return skill.Place{}, false, fmt.Errorf("get listener: %w", err)
	}
	p, ok := decode(out.Item, t.now())
	return p, ok, nil
}

// Put keeps p unless the table holds a later play of the listener: one
// conditional PutItem. A play older than the kept one is not an error.
func (t *Table) Put(ctx context.Context, id string, p skill.Place) error {
	at := p.At.UnixMilli()
	item := map[string]types.AttributeValue{
		AttrListener: &types.AttributeValueMemberS{Value: id},
		"format":     &types.AttributeValueMemberS{Value: format},
		"version":    num(p.Version),
		"playlist":   &types.AttributeValueMemberS{Value: p.Playlist},
		"pos":        num(int64(p.Pos)),
		"key":        &types.AttributeValueMemberS{Value: p.Key},
		"at":         num(at),
		AttrExpires:  num(p.At.Add(TTL).Unix()),
	}
	now := t.now()
	_, err := t.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(t.name),
		Item:                     item,
		ConditionExpression:      aws.String(replaceable),
		ExpressionAttributeNames: map[string]string{"#at": "at", "#f": "format", "#exp": AttrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":N": &types.AttributeValueMemberS{Value: "N"}, ":f": &types.AttributeValueMemberS{Value: format},
			":at": num(at), ":soon": num(now.Add(maxSkew).UnixMilli()), ":now": num(now.Unix()),
		},
	})
	var older *types.ConditionalCheckFailedException
	if errors.As(err, &older) {
		return nil // a later play is kept
	}
	if err != nil {
		return fmt.Errorf("put listener: %w", err)
	}
	return nil
}

// Delete removes the listener's item, if any.
func (t *Table) Delete(ctx context.Context, id string) error {
	if _, err := t.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(t.name), Key: key(id)}); err != nil {
		return fmt.Errorf("delete listener: %w", err)
	}
	return nil
}

// replaceable is Put's condition: the kept item is not a later play. It is
// replaced when it is older, or not a readable play of ours: no item, another
// format, an "at" that is not a number or is further ahead than the clocks
// of Alexa and the skill can differ, an expiry that is not a number or has
// passed.
const replaceable = "attribute_not_exists(#at) OR NOT attribute_type(#at, :N) OR #at <= :at OR #at > :soon" +
	" OR attribute_not_exists(#f) OR #f <> :f OR NOT attribute_type(#exp, :N) OR #exp <= :now"

// maxSkew is how far ahead of the skill's clock a kept play may be and
// still count as a later one.
const maxSkew = time.Hour

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// decode reads an item; ok is false for anything not a readable,
// unexpired place of ours.
func decode(item map[string]types.AttributeValue, now time.Time) (skill.Place, bool) {
	if item == nil {
		return skill.Place{}, false
	}
	str := func(name string) (string, bool) {
		v, ok := item[name].(*types.AttributeValueMemberS)
		if !ok {
			return "", false
		}
		return v.Value, true
	}
	n := func(name string) (int64, bool) {
		v, ok := item[name].(*types.AttributeValueMemberN)
		if !ok {
			return 0, false
		}
		i, err := strconv.ParseInt(v.Value, 10, 64)
		return i, err == nil
	}
	f, ok1 := str("format")
	pl, ok2 := str("playlist")
	k, ok3 := str("key")
	v, ok4 := n("version")
	pos, ok5 := n("pos")
	at, ok6 := n("at")
	exp, ok7 := n(AttrExpires)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || f != format || k == "" || v < 0 || pos < 0 || pos > 1<<31-1 || exp <= now.Unix() || at > now.Add(maxSkew).UnixMilli() {
		return skill.Place{}, false
	}
	return skill.Place{Version: v, Playlist: pl, Pos: int(pos), Key: k, At: time.UnixMilli(at)}, true
}

// Memory keeps places in memory, with the Table's rules (the later play
// wins, an expired place reads as nothing). The zero value is ready.
type Memory struct {
	mu     sync.Mutex
	places map[string]skill.Place
	now    func() time.Time
}

var _ skill.Listeners = (*Memory)(nil)

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{} }

func (m *Memory) clock() time.Time {
	if m.now != nil {
		return m.now()
	}
	return time.Now()
}

// Get returns the listener's place.
func (m *Memory) Get(_ context.Context, id string) (skill.Place, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.places[id]
	if !ok || !p.At.Add(TTL).After(m.clock()) {
		return skill.Place{}, false, nil
	}
	return p, true, nil
}

// Put keeps p unless a later play is kept.
func (m *Memory) Put(_ context.Context, id string, p skill.Place) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.places == nil {
		m.places = map[string]skill.Place{}
	}
	if old, ok := m.places[id]; ok && old.At.After(p.At) {
		return nil
	}
	m.places[id] = p
	return nil
}

// Delete forgets the listener.
func (m *Memory) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.places, id)
	return nil
}

// Len is how many listeners are kept.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.places)
}
