// Command syncbench runs one full sync through baton-sdk's own syncer
// (pkg/sync, v0.8.0, grant expansion on), so bench/sync.ts can compare
// baton-edge's whole sync with the Go SDK's on exactly the same connector
// output.
//
//	syncbench <records> <out.c1z>
//
// <records> is what the TypeScript side wrote: (kind byte, uvarint length,
// protobuf bytes), kind 1 = ResourceType, 2 = Resource, 3 = Entitlement,
// 4 = Grant; resources grouped by type, and each resource's entitlements and
// grants contiguous, in that resource's order. The connector below serves
// that file: it keeps only offsets (one per resource type and per resource
// with grants) and reads each page from disk, as a connector would fetch it,
// so Go's memory is the syncer's and the c1z writer's own.
// Prints one JSON line: counts, whole-sync and expansion seconds, peak RSS,
// c1z bytes.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"baton-edge/bench/benchcli"
	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/connectorstore"
	"github.com/conductorone/baton-sdk/pkg/dotc1z"
	sdksync "github.com/conductorone/baton-sdk/pkg/sync"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

const pageSize = 1000

// span is a run of records of one kind in the file.
type span struct {
	offset int64
	count  int
}

type connector struct {
	file          *os.File
	resourceTypes []*v2.ResourceType
	resources     map[string]span // resource type id → its resources
	entitlements  map[string][]*v2.Entitlement
	grants        map[string]span // "type\x00id" → that resource's grants
	v2.AssetServiceClient
	v2.GrantManagerServiceClient
	v2.ResourceManagerServiceClient
	v2.ResourceDeleterServiceClient
	v2.AccountManagerServiceClient
	v2.CredentialManagerServiceClient
	v2.EventServiceClient
	v2.TicketsServiceClient
	v2.ActionServiceClient
	v2.ResourceGetterServiceClient
}

type counts struct {
	ResourceTypes int `json:"resourceTypes"`
	Resources     int `json:"resources"`
	Entitlements  int `json:"entitlements"`
	Grants        int `json:"grants"`
}

func key(resourceType, resource string) string { return resourceType + "\x00" + resource }

// index reads the file once and keeps where each resource type's resources and
// each resource's grants start.
func index(path string) (*connector, counts, error) {
	var n counts
	file, err := os.Open(path)
	if err != nil {
		return nil, n, err
	}
	c := &connector{file: file, resources: map[string]span{}, entitlements: map[string][]*v2.Entitlement{}, grants: map[string]span{}}
	reader := bufio.NewReaderSize(file, 1<<20)
	var offset int64
	buf := make([]byte, 0, 4096)
	for {
		kind, err := reader.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, n, err
		}
		size, err := binary.ReadUvarint(reader)
		if err != nil {
			return nil, n, err
		}
		start := offset
		offset += 1 + int64(uvarintLen(size)) + int64(size)
		if uint64(cap(buf)) < size {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(reader, buf); err != nil {
			return nil, n, err
		}
		switch kind {
		case 1:
			rt := &v2.ResourceType{}
			if err := proto.Unmarshal(buf, rt); err != nil {
				return nil, n, err
			}
			c.resourceTypes = append(c.resourceTypes, rt)
			n.ResourceTypes++
		case 2:
			r := &v2.Resource{}
			if err := proto.Unmarshal(buf, r); err != nil {
				return nil, n, err
			}
			s, ok := c.resources[r.GetId().GetResourceType()]
			if !ok {
				s.offset = start
			}
			s.count++
			c.resources[r.GetId().GetResourceType()] = s
			n.Resources++
		case 3:
			e := &v2.Entitlement{}
			if err := proto.Unmarshal(buf, e); err != nil {
				return nil, n, err
			}
			id := e.GetResource().GetId()
			c.entitlements[key(id.GetResourceType(), id.GetResource())] = append(c.entitlements[key(id.GetResourceType(), id.GetResource())], e)
			n.Entitlements++
		case 4:
			g := &v2.Grant{}
			if err := proto.Unmarshal(buf, g); err != nil {
				return nil, n, err
			}
			id := g.GetEntitlement().GetResource().GetId()
			k := key(id.GetResourceType(), id.GetResource())
			s, ok := c.grants[k]
			if !ok {
				s.offset = start
			}
			s.count++
			c.grants[k] = s
			n.Grants++
		default:
			return nil, n, fmt.Errorf("unknown record kind %d", kind)
		}
	}
	return c, n, nil
}

func uvarintLen(v uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], v)
}

var readMu sync.Mutex

// page reads up to pageSize records of a span, starting after `skip` of them.
// The token is "<byte offset>:<records left>".
func (c *connector) page(s span, token string, decode func([]byte) error) (string, error) {
	offset, left := s.offset, s.count
	if token != "" {
		parts := strings.SplitN(token, ":", 2)
		o, err1 := strconv.ParseInt(parts[0], 10, 64)
		l, err2 := strconv.Atoi(parts[1])
		if err1 != nil || err2 != nil {
			return "", fmt.Errorf("bad page token %q", token)
		}
		offset, left = o, l
	}
	readMu.Lock()
	defer readMu.Unlock()
	reader := bufio.NewReaderSize(io.NewSectionReader(c.file, offset, 1<<62), 256<<10)
	take := min(left, pageSize)
	for range take {
		if _, err := reader.ReadByte(); err != nil {
			return "", err
		}
		size, err := binary.ReadUvarint(reader)
		if err != nil {
			return "", err
		}
		buf := make([]byte, size)
		if _, err := io.ReadFull(reader, buf); err != nil {
			return "", err
		}
		if err := decode(buf); err != nil {
			return "", err
		}
		offset += 1 + int64(uvarintLen(size)) + int64(size)
	}
	if left-take == 0 {
		return "", nil
	}
	return fmt.Sprintf("%d:%d", offset, left-take), nil
}

func (c *connector) ListResourceTypes(context.Context, *v2.ResourceTypesServiceListResourceTypesRequest, ...grpc.CallOption) (*v2.ResourceTypesServiceListResourceTypesResponse, error) {
	return v2.ResourceTypesServiceListResourceTypesResponse_builder{List: c.resourceTypes}.Build(), nil
}

func (c *connector) ListResources(_ context.Context, in *v2.ResourcesServiceListResourcesRequest, _ ...grpc.CallOption) (*v2.ResourcesServiceListResourcesResponse, error) {
	if in.GetParentResourceId() != nil {
		return v2.ResourcesServiceListResourcesResponse_builder{}.Build(), nil
	}
	var list []*v2.Resource
	next, err := c.page(c.resources[in.GetResourceTypeId()], in.GetPageToken(), func(b []byte) error {
		r := &v2.Resource{}
		list = append(list, r)
		return proto.Unmarshal(b, r)
	})
	if err != nil {
		return nil, err
	}
	return v2.ResourcesServiceListResourcesResponse_builder{List: list, NextPageToken: next}.Build(), nil
}

func (c *connector) ListEntitlements(_ context.Context, in *v2.EntitlementsServiceListEntitlementsRequest, _ ...grpc.CallOption) (*v2.EntitlementsServiceListEntitlementsResponse, error) {
	id := in.GetResource().GetId()
	return v2.EntitlementsServiceListEntitlementsResponse_builder{List: c.entitlements[key(id.GetResourceType(), id.GetResource())]}.Build(), nil
}

func (c *connector) ListStaticEntitlements(context.Context, *v2.EntitlementsServiceListStaticEntitlementsRequest, ...grpc.CallOption) (*v2.EntitlementsServiceListStaticEntitlementsResponse, error) {
	return v2.EntitlementsServiceListStaticEntitlementsResponse_builder{}.Build(), nil
}

func (c *connector) ListGrants(_ context.Context, in *v2.GrantsServiceListGrantsRequest, _ ...grpc.CallOption) (*v2.GrantsServiceListGrantsResponse, error) {
	id := in.GetResource().GetId()
	s, ok := c.grants[key(id.GetResourceType(), id.GetResource())]
	if !ok {
		return v2.GrantsServiceListGrantsResponse_builder{}.Build(), nil
	}
	var list []*v2.Grant
	next, err := c.page(s, in.GetPageToken(), func(b []byte) error {
		g := &v2.Grant{}
		list = append(list, g)
		return proto.Unmarshal(b, g)
	})
	if err != nil {
		return nil, err
	}
	return v2.GrantsServiceListGrantsResponse_builder{List: list, NextPageToken: next}.Build(), nil
}

func (c *connector) GetMetadata(context.Context, *v2.ConnectorServiceGetMetadataRequest, ...grpc.CallOption) (*v2.ConnectorServiceGetMetadataResponse, error) {
	return v2.ConnectorServiceGetMetadataResponse_builder{Metadata: v2.ConnectorMetadata_builder{DisplayName: "bench"}.Build()}.Build(), nil
}

func (c *connector) Validate(context.Context, *v2.ConnectorServiceValidateRequest, ...grpc.CallOption) (*v2.ConnectorServiceValidateResponse, error) {
	return &v2.ConnectorServiceValidateResponse{}, nil
}

func (c *connector) Cleanup(context.Context, *v2.ConnectorServiceCleanupRequest, ...grpc.CallOption) (*v2.ConnectorServiceCleanupResponse, error) {
	return &v2.ConnectorServiceCleanupResponse{}, nil
}

// timedStore is baton-sdk's own c1z store, telling when the sync ends.
type timedStore struct {
	*dotc1z.C1File
	onEndSync func()
}

func (t *timedStore) EndSync(ctx context.Context) error {
	t.onEndSync()
	return t.C1File.EndSync(ctx)
}

type result struct {
	Engine           string  `json:"engine"`
	Listed           counts  `json:"listed"`
	TotalGrants      int     `json:"totalGrants"`
	WholeSyncSeconds float64 `json:"wholeSyncSeconds"`
	ExpansionSeconds float64 `json:"expansionSeconds"`
	PeakRssBytes     int64   `json:"peakRssBytes"`
	C1zBytes         int64   `json:"c1zBytes"`
}

func main() { benchcli.Main("syncbench", run) }

func run(ctx context.Context, recordsPath, outPath string) error {
	c, listed, err := index(recordsPath)
	if err != nil {
		return err
	}
	defer c.file.Close()
	tmp, err := os.MkdirTemp("", "bench-go-sync")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var mu sync.Mutex
	var expansionStart, expansionEnd time.Time
	started := time.Now()
	file, err := dotc1z.NewC1ZFile(ctx, outPath, dotc1z.WithTmpDir(tmp))
	if err != nil {
		return err
	}
	// Expansion is the last step before EndSync: the store marks its end.
	store := &timedStore{C1File: file, onEndSync: func() {
		mu.Lock()
		defer mu.Unlock()
		expansionEnd = time.Now()
	}}
	syncer, err := sdksync.NewSyncer(ctx, c,
		sdksync.WithConnectorStore(store),
		sdksync.WithTmpDir(tmp),
		sdksync.WithTransitionHandler(func(a sdksync.Action) {
			if a.Op != sdksync.SyncGrantExpansionOp {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if expansionStart.IsZero() {
				expansionStart = time.Now()
			}
		}),
	)
	if err != nil {
		return err
	}
	if err := syncer.Sync(ctx); err != nil {
		return err
	}
	if err := syncer.Close(ctx); err != nil {
		return err
	}
	out := result{Engine: "go baton-sdk v0.8.0 pkg/sync", Listed: listed}
	out.WholeSyncSeconds = time.Since(started).Seconds()
	if !expansionStart.IsZero() && expansionEnd.After(expansionStart) {
		out.ExpansionSeconds = expansionEnd.Sub(expansionStart).Seconds()
	}
	out.PeakRssBytes = benchcli.PeakRssBytes()
	if out.C1zBytes, err = benchcli.FileBytes(outPath); err != nil {
		return err
	}
	reader, err := dotc1z.NewC1ZFile(ctx, outPath, dotc1z.WithTmpDir(tmp), dotc1z.WithReadOnly(true))
	if err != nil {
		return err
	}
	defer reader.Close(ctx)
	stats, err := reader.Stats(ctx, connectorstore.SyncTypeFull, "")
	if err == nil {
		out.TotalGrants = int(stats["grants"])
	}
	return benchcli.PrintResult(out)
}
