package api

import (
	"net/http"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/credit"
)

func (s *Server) adminUserRoutes() {
	s.add(route{Method: "POST", Path: "/api/v1/admin/users", Tag: "admin", Access: admin,
		Summary: "Create an account with any role (audited).", Body: adminCreateRequest{}, Response: account.User{},
		Status: http.StatusCreated, handle: s.adminCreateUser})
	s.add(route{Method: "GET", Path: "/api/v1/admin/users/{handle}", Tag: "admin", Access: reviewer,
		Summary: "One user as operators see them: status, verified attributes and the audit trail.", Response: adminUserView{}, handle: s.adminUser})
	s.add(route{Method: "POST", Path: "/api/v1/admin/users/{handle}/disable", Tag: "admin", Access: admin,
		Summary: "Disable an account; its sessions end at once.", Body: reasonRequest{}, Response: account.User{}, handle: s.setStatus(account.StatusDisabled)})
	s.add(route{Method: "POST", Path: "/api/v1/admin/users/{handle}/enable", Tag: "admin", Access: admin,
		Summary: "Enable a disabled account.", Body: reasonRequest{}, Response: account.User{}, handle: s.setStatus(account.StatusActive)})
	s.add(route{Method: "PUT", Path: "/api/v1/admin/users/{handle}/role", Tag: "admin", Access: admin,
		Summary: "Set a user's platform role: user, reviewer or admin.", Body: roleRequest{}, Response: account.User{}, handle: s.setRole})
	s.add(route{Method: "PUT", Path: "/api/v1/admin/users/{handle}/credit", Tag: "admin", Access: admin,
		Summary: "Import a credit score (350–950) from an outside source, with a reason; audited and kept in the score's history.",
		Body:    creditRequest{}, Response: credit.Score{}, handle: s.importCredit})
}

type adminCreateRequest struct {
	Handle      string `json:"handle"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name,omitempty"`
	Role        string `json:"role"`
}

func (s *Server) adminCreateUser(w http.ResponseWriter, r *http.Request) error {
	var req adminCreateRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	role, err := account.ParseRole(req.Role)
	if err != nil {
		return err
	}
	u, err := s.Accounts.CreateUser(r.Context(), s.user(r).ID, account.NewUser{Handle: req.Handle, Password: req.Password, DisplayName: req.DisplayName, Role: role})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

type adminUserView struct {
	account.User
	Verified map[string]any `json:"verified"`
	Audit    []audit.Entry  `json:"audit"`
	// Suspension is the suspension in force, if any.
	Suspension *account.Suspension `json:"suspension,omitempty"`
}

func (s *Server) adminUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u, err := s.Accounts.UserByHandle(ctx, s.DB, r.PathValue("handle"))
	if err != nil {
		return err
	}
	verified, err := s.Accounts.Verified(ctx, s.DB, u.ID)
	if err != nil {
		return err
	}
	entries, err := audit.For(ctx, s.DB, "user", u.ID)
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []audit.Entry{}
	}
	sp, err := account.SuspensionOf(ctx, s.DB, u.ID, s.DB.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, adminUserView{User: u, Verified: verified, Audit: entries, Suspension: sp})
	return nil
}

type reasonRequest struct {
	Reason string `json:"reason,omitempty"`
}

func (s *Server) setStatus(status account.Status) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req reasonRequest
		if err := decodeOptional(w, r, &req); err != nil {
			return err
		}
		u, err := s.Accounts.SetStatus(r.Context(), s.user(r), r.PathValue("handle"), status, req.Reason)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, u)
		return nil
	}
}

type roleRequest struct {
	Role string `json:"role"`
}

func (s *Server) setRole(w http.ResponseWriter, r *http.Request) error {
	var req roleRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u, err := s.Accounts.SetRole(r.Context(), s.user(r), r.PathValue("handle"), account.Role(req.Role))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

type creditRequest struct {
	Score  int    `json:"score"`
	Source string `json:"source"`
	Reason string `json:"reason"`
}

func (s *Server) importCredit(w http.ResponseWriter, r *http.Request) error {
	var req creditRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	sc, err := s.Accounts.ImportCredit(r.Context(), s.user(r), r.PathValue("handle"), req.Score, req.Source, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}
