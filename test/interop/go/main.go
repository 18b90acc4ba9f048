// Command interop drives baton-sdk's own c1z code (pkg/dotc1z) so the
// TypeScript tests can compare baton-edge against it.
//
//	interop list <file.c1z>     JSON listing of the default sync, as baton-sdk reads it
//	interop create <out.c1z>    writes a small full sync with baton-sdk's writer
//	interop clone <in.c1z> <out.c1z> [sync-id]
//	                            baton-sdk's CloneSync, what `baton export c1z` runs
//	interop reencode            stdin: lines "<full message name> <hex>"; stdout: deterministic re-marshal, hex
//	interop encode-json         stdin: lines "<full message name> <protojson>"; stdout: deterministic marshal, hex
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	reader_v2 "github.com/conductorone/baton-sdk/pb/c1/reader/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/connectorstore"
	"github.com/conductorone/baton-sdk/pkg/dotc1z"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: interop list|create|reencode|encode-json [path]"))
	}
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "list":
		err = list(ctx, arg(2))
	case "create":
		err = create(ctx, arg(2))
	case "clone":
		syncID := ""
		if len(os.Args) > 4 {
			syncID = os.Args[4]
		}
		err = cloneSync(ctx, arg(2), arg(3), syncID)
	case "reencode":
		err = eachLine(reencode)
	case "encode-json":
		err = eachLine(encodeJSON)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func arg(i int) string {
	if len(os.Args) <= i {
		fail(fmt.Errorf("%s needs a path", os.Args[1]))
	}
	return os.Args[i]
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "interop:", err)
	os.Exit(1)
}

// ---- clone -----------------------------------------------------------------

// cloneSync opens the file the way `baton export c1z` does (writable, migrations run)
// and copies one finished sync (default: the latest full one) into a new c1z.
func cloneSync(ctx context.Context, in, out, syncID string) error {
	tmp, err := os.MkdirTemp("", "interop-clone")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	store, err := dotc1z.NewC1ZFile(ctx, in, dotc1z.WithTmpDir(tmp))
	if err != nil {
		return err
	}
	defer store.Close(ctx)
	return store.CloneSync(ctx, out, syncID)
}

// ---- list ------------------------------------------------------------------

type syncOut struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Finished bool   `json:"finished"`
}

type resourceTypeOut struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	Traits      []int32  `json:"traits"`
	Annotations []string `json:"annotations"`
}

type resourceOut struct {
	ResourceType       string   `json:"resourceType"`
	Resource           string   `json:"resource"`
	ParentResourceType *string  `json:"parentResourceType"`
	ParentResource     *string  `json:"parentResource"`
	DisplayName        string   `json:"displayName"`
	Annotations        []string `json:"annotations"`
}

type entitlementOut struct {
	ID           string  `json:"id"`
	ResourceType *string `json:"resourceType"`
	Resource     *string `json:"resource"`
	Slug         string  `json:"slug"`
	DisplayName  string  `json:"displayName"`
	Purpose      int32   `json:"purpose"`
}

type grantOut struct {
	ID string `json:"id"`
	// nil where the embedded message is missing: the baton CLI v0.7.27
	// dereferences these fields directly and would crash.
	EntitlementID         *string         `json:"entitlementId"`
	EntitlementResourceTy *string         `json:"entitlementResourceType"`
	EntitlementResourceID *string         `json:"entitlementResource"`
	PrincipalType         *string         `json:"principalType"`
	PrincipalID           *string         `json:"principal"`
	Annotations           []string        `json:"annotations"`
	Sources               map[string]bool `json:"sources"`
}

type expansionOut struct {
	GrantID              string   `json:"grantId"`
	SourceEntitlementIDs []string `json:"sourceEntitlementIds"`
	Shallow              bool     `json:"shallow"`
	ResourceTypeIDs      []string `json:"resourceTypeIds"`
}

type listing struct {
	Syncs         []syncOut         `json:"syncs"`
	ResourceTypes []resourceTypeOut `json:"resourceTypes"`
	Resources     []resourceOut     `json:"resources"`
	Entitlements  []entitlementOut  `json:"entitlements"`
	Grants        []grantOut        `json:"grants"`
	// Expandable grants of the latest finished full sync, from the expansion column.
	Expandable []expansionOut `json:"expandable"`
	// Lookups the baton CLI makes for each listed object (resource type, parent,
	// entitlement, principal, entitlement resource) that failed.
	Missing []string `json:"missing"`
	// `baton stats`: Stats(any type) of the latest finished sync; nil when there is none.
	Stats map[string]int64 `json:"stats"`
}

func list(ctx context.Context, path string) error {
	tmp, err := os.MkdirTemp("", "interop-list")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	store, err := dotc1z.NewC1ZFile(ctx, path, dotc1z.WithTmpDir(tmp), dotc1z.WithReadOnly(true))
	if err != nil {
		return err
	}
	defer store.Close(ctx)

	out := listing{
		Syncs: []syncOut{}, ResourceTypes: []resourceTypeOut{}, Resources: []resourceOut{},
		Entitlements: []entitlementOut{}, Grants: []grantOut{}, Expandable: []expansionOut{}, Missing: []string{},
	}
	lookups := &lookups{ctx: ctx, store: store, out: &out}

	syncToken := ""
	for {
		resp, err := store.ListSyncs(ctx, reader_v2.SyncsReaderServiceListSyncsRequest_builder{PageToken: syncToken}.Build())
		if err != nil {
			return err
		}
		for _, s := range resp.GetSyncs() {
			out.Syncs = append(out.Syncs, syncOut{ID: s.GetId(), Type: s.GetSyncType(), Finished: s.GetEndedAt() != nil})
		}
		if syncToken = resp.GetNextPageToken(); syncToken == "" {
			break
		}
	}

	token := ""
	for {
		resp, err := store.ListResourceTypes(ctx, v2.ResourceTypesServiceListResourceTypesRequest_builder{PageToken: token}.Build())
		if err != nil {
			return err
		}
		for _, rt := range resp.GetList() {
			traits := []int32{}
			for _, t := range rt.GetTraits() {
				traits = append(traits, int32(t))
			}
			out.ResourceTypes = append(out.ResourceTypes, resourceTypeOut{
				ID: rt.GetId(), DisplayName: rt.GetDisplayName(), Traits: traits, Annotations: anyNames(rt.GetAnnotations()),
			})
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}

	for {
		resp, err := store.ListResources(ctx, v2.ResourcesServiceListResourcesRequest_builder{PageToken: token}.Build())
		if err != nil {
			return err
		}
		for _, r := range resp.GetList() {
			ro := resourceOut{
				ResourceType: r.GetId().GetResourceType(), Resource: r.GetId().GetResource(),
				DisplayName: r.GetDisplayName(), Annotations: anyNames(r.GetAnnotations()),
			}
			lookups.resourceType(r.GetId().GetResourceType())
			if p := r.GetParentResourceId(); p != nil {
				ro.ParentResourceType = ptr(p.GetResourceType())
				ro.ParentResource = ptr(p.GetResource())
				lookups.resource(p)
			}
			out.Resources = append(out.Resources, ro)
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}

	for {
		resp, err := store.ListEntitlements(ctx, v2.EntitlementsServiceListEntitlementsRequest_builder{PageToken: token}.Build())
		if err != nil {
			return err
		}
		for _, e := range resp.GetList() {
			eo := entitlementOut{ID: e.GetId(), Slug: e.GetSlug(), DisplayName: e.GetDisplayName(), Purpose: int32(e.GetPurpose())}
			if e.HasResource() && e.GetResource().HasId() {
				eo.ResourceType = ptr(e.GetResource().GetId().GetResourceType())
				eo.Resource = ptr(e.GetResource().GetId().GetResource())
				lookups.resourceType(e.GetResource().GetId().GetResourceType())
				lookups.resource(e.GetResource().GetId())
			}
			out.Entitlements = append(out.Entitlements, eo)
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}

	for {
		resp, err := store.ListGrants(ctx, v2.GrantsServiceListGrantsRequest_builder{PageToken: token}.Build())
		if err != nil {
			return err
		}
		for _, g := range resp.GetList() {
			out.Grants = append(out.Grants, describeGrant(g))
			lookups.entitlement(g.GetEntitlement().GetId())
			lookups.resource(g.GetPrincipal().GetId())
			lookups.resourceType(g.GetPrincipal().GetId().GetResourceType())
			lookups.resource(g.GetEntitlement().GetResource().GetId())
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}

	// The expansion listing needs a sync id: the latest finished full sync, else the newest sync.
	syncID, err := store.LatestFinishedSyncID(ctx, connectorstore.SyncTypeFull)
	if err != nil {
		return err
	}
	if syncID == "" && len(out.Syncs) > 0 {
		syncID = out.Syncs[len(out.Syncs)-1].ID
	}
	if syncID != "" {
		for {
			resp, err := store.ListGrantsInternal(ctx, connectorstore.GrantListOptions{
				Mode: connectorstore.GrantListModeExpansion, SyncID: syncID, PageToken: token,
			})
			if err != nil {
				return err
			}
			for _, row := range resp.Rows {
				if row.Expansion == nil {
					continue
				}
				out.Expandable = append(out.Expandable, expansionOut{
					GrantID:              row.Expansion.GrantExternalID,
					SourceEntitlementIDs: nonNil(row.Expansion.SourceEntitlementIDs),
					Shallow:              row.Expansion.Shallow,
					ResourceTypeIDs:      nonNil(row.Expansion.ResourceTypeIDs),
				})
			}
			if token = resp.NextPageToken; token == "" {
				break
			}
		}
	}

	if finished, err := store.LatestFinishedSyncID(ctx, connectorstore.SyncTypeAny); err == nil && finished != "" {
		if out.Stats, err = store.Stats(ctx, connectorstore.SyncTypeAny, ""); err != nil {
			return err
		}
	}

	enc := json.NewEncoder(os.Stdout)
	return enc.Encode(out)
}

// lookups repeats the gets the baton CLI (v0.7.27, pkg/storecache) makes while printing
// resources, entitlements and grants, and records the ones that fail.
type lookups struct {
	ctx   context.Context
	store *dotc1z.C1File
	out   *listing
}

func (l *lookups) fail(what string, err error) {
	l.out.Missing = append(l.out.Missing, what)
	fmt.Fprintf(os.Stderr, "interop: lookup failed: %s: %v\n", what, err)
}

func (l *lookups) resourceType(id string) {
	_, err := l.store.GetResourceType(l.ctx, reader_v2.ResourceTypesReaderServiceGetResourceTypeRequest_builder{ResourceTypeId: id}.Build())
	if err != nil {
		l.fail("resource type "+id, err)
	}
}

func (l *lookups) resource(id *v2.ResourceId) {
	if id == nil {
		l.fail("resource <nil id>", fmt.Errorf("no id"))
		return
	}
	_, err := l.store.GetResource(l.ctx, reader_v2.ResourcesReaderServiceGetResourceRequest_builder{ResourceId: id}.Build())
	if err != nil {
		l.fail("resource "+id.GetResourceType()+":"+id.GetResource(), err)
	}
}

func (l *lookups) entitlement(id string) {
	_, err := l.store.GetEntitlement(l.ctx, reader_v2.EntitlementsReaderServiceGetEntitlementRequest_builder{EntitlementId: id}.Build())
	if err != nil {
		l.fail("entitlement "+id, err)
	}
}

func describeGrant(g *v2.Grant) grantOut {
	out := grantOut{ID: g.GetId(), Annotations: anyNames(g.GetAnnotations()), Sources: map[string]bool{}}
	if g.HasEntitlement() {
		e := g.GetEntitlement()
		out.EntitlementID = ptr(e.GetId())
		if e.HasResource() && e.GetResource().HasId() {
			out.EntitlementResourceTy = ptr(e.GetResource().GetId().GetResourceType())
			out.EntitlementResourceID = ptr(e.GetResource().GetId().GetResource())
		}
	}
	if g.HasPrincipal() && g.GetPrincipal().HasId() {
		out.PrincipalType = ptr(g.GetPrincipal().GetId().GetResourceType())
		out.PrincipalID = ptr(g.GetPrincipal().GetId().GetResource())
	}
	for k, v := range g.GetSources().GetSources() {
		out.Sources[k] = v.GetIsDirect()
	}
	return out
}

// anyNames resolves every Any against the types compiled into this baton-sdk,
// as `baton ... -o json` must; an unresolvable type is reported by name with a "?" prefix.
func anyNames(list []*anypb.Any) []string {
	names := []string{}
	for _, a := range list {
		msg, err := a.UnmarshalNew()
		if err != nil {
			names = append(names, "?"+a.GetTypeUrl())
			continue
		}
		names = append(names, string(msg.ProtoReflect().Descriptor().FullName()))
	}
	sort.Strings(names)
	return names
}

func ptr(s string) *string { return &s }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ---- create ----------------------------------------------------------------

func create(ctx context.Context, path string) error {
	tmp, err := os.MkdirTemp("", "interop-create")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	store, err := dotc1z.NewC1ZFile(ctx, path, dotc1z.WithTmpDir(tmp))
	if err != nil {
		return err
	}
	syncID, err := store.StartNewSync(ctx, connectorstore.SyncTypeFull, "")
	if err != nil {
		return err
	}

	userType := v2.ResourceType_builder{Id: "user", DisplayName: "User", Traits: []v2.ResourceType_Trait{v2.ResourceType_TRAIT_USER}}.Build()
	groupType := v2.ResourceType_builder{Id: "group", DisplayName: "Group", Traits: []v2.ResourceType_Trait{v2.ResourceType_TRAIT_GROUP}}.Build()
	if err := store.PutResourceTypes(ctx, userType, groupType); err != nil {
		return err
	}

	profile, err := structpb.NewStruct(map[string]any{"department": "Ops", "10": "ten", "9": 9.0})
	if err != nil {
		return err
	}
	userTrait, err := anypb.New(v2.UserTrait_builder{
		Emails:  []*v2.UserTrait_Email{v2.UserTrait_Email_builder{Address: "zoë@example.com", IsPrimary: true}.Build()},
		Profile: profile,
		Status:  v2.UserTrait_Status_builder{Status: v2.UserTrait_Status_STATUS_ENABLED}.Build(),
	}.Build())
	if err != nil {
		return err
	}
	alice := v2.Resource_builder{
		Id:          v2.ResourceId_builder{ResourceType: "user", Resource: "alice"}.Build(),
		DisplayName: "Zoë Alice",
		Annotations: []*anypb.Any{userTrait},
	}.Build()
	groupTrait, err := anypb.New(v2.GroupTrait_builder{}.Build())
	if err != nil {
		return err
	}
	admins := v2.Resource_builder{
		Id:          v2.ResourceId_builder{ResourceType: "group", Resource: "admins"}.Build(),
		DisplayName: "Admins",
		Annotations: []*anypb.Any{groupTrait},
	}.Build()
	if err := store.PutResources(ctx, alice, admins); err != nil {
		return err
	}

	member := v2.Entitlement_builder{
		Id:          "group:admins:member",
		Resource:    admins,
		DisplayName: "member",
		Slug:        "member",
		Purpose:     v2.Entitlement_PURPOSE_VALUE_ASSIGNMENT,
		GrantableTo: []*v2.ResourceType{userType},
	}.Build()
	if err := store.PutEntitlements(ctx, member); err != nil {
		return err
	}

	var annos annotations.Annotations
	annos.Update(v2.GrantExpandable_builder{EntitlementIds: []string{"group:admins:member"}}.Build())
	grant := v2.Grant_builder{
		Id:          "group:admins:member:user:alice",
		Entitlement: member,
		Principal:   v2.Resource_builder{Id: alice.GetId()}.Build(),
		Annotations: annos,
	}.Build()
	if err := store.PutGrants(ctx, grant); err != nil {
		return err
	}
	if err := store.EndSync(ctx); err != nil {
		return err
	}
	if err := store.Close(ctx); err != nil {
		return err
	}
	fmt.Println(syncID)
	return nil
}

// ---- encoding --------------------------------------------------------------

func eachLine(f func(name, payload string) (string, error)) error {
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 0, 1<<20), 64<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for scanner.Scan() {
		line := scanner.Text()
		if line == "" {
			continue
		}
		name, payload, ok := strings.Cut(line, " ")
		if !ok {
			return fmt.Errorf("bad input line %q", line)
		}
		out, err := f(name, payload)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, out)
	}
	return scanner.Err()
}

func newMessage(name string) (proto.Message, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name))
	if err != nil {
		return nil, fmt.Errorf("message %s: %w", name, err)
	}
	return mt.New().Interface(), nil
}

var deterministic = proto.MarshalOptions{Deterministic: true}

func reencode(name, payload string) (string, error) {
	msg, err := newMessage(name)
	if err != nil {
		return "", err
	}
	raw, err := hex.DecodeString(payload)
	if err != nil {
		return "", err
	}
	if err := proto.Unmarshal(raw, msg); err != nil {
		return "", fmt.Errorf("unmarshal %s: %w", name, err)
	}
	out, err := deterministic.Marshal(msg)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(out), nil
}

func encodeJSON(name, payload string) (string, error) {
	msg, err := newMessage(name)
	if err != nil {
		return "", err
	}
	if err := protojson.Unmarshal([]byte(payload), msg); err != nil {
		return "", fmt.Errorf("protojson %s: %w", name, err)
	}
	out, err := deterministic.Marshal(msg)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(out), nil
}
