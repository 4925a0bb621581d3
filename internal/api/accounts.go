package api

import (
	"net/http"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/credit"
	"github.com/quanzi/quanzi/internal/errs"
)

func (s *Server) accountRoutes() {
	s.add(route{Method: "POST", Path: "/api/v1/users", Tag: "accounts", Summary: "Register a new account.",
		Body: registerRequest{}, Response: account.User{}, Status: http.StatusCreated, handle: s.createUser})
	s.add(route{Method: "POST", Path: "/api/v1/sessions", Tag: "accounts",
		Summary: "Sign in with handle and password; returns a bearer token. Failed attempts are throttled (429 with Retry-After).",
		Body:    loginRequest{}, Response: loginResponse{}, Status: http.StatusCreated, handle: s.login})
	s.add(route{Method: "DELETE", Path: "/api/v1/sessions/current", Tag: "accounts", Access: signedIn,
		Summary: "Sign out: end the session of the token used.", Status: http.StatusNoContent, handle: s.logout})
	s.add(route{Method: "DELETE", Path: "/api/v1/sessions", Tag: "accounts", Access: signedIn,
		Summary: "Sign out everywhere: end every session of the caller.", Status: http.StatusNoContent, handle: s.logoutAll})
	s.add(route{Method: "GET", Path: "/api/v1/me", Tag: "accounts", Access: signedIn,
		Summary: "The caller's profile, with claimed and verified attributes.", Response: meResponse{}, handle: s.me})
	s.add(route{Method: "PATCH", Path: "/api/v1/me", Tag: "accounts", Access: signedIn,
		Summary: "Change the caller's profile: the display name (1 to 50 characters, trimmed). Returns the profile.",
		Body:    profileRequest{}, Response: meResponse{}, handle: s.updateMe})
	s.add(route{Method: "PUT", Path: "/api/v1/me/password", Tag: "accounts", Access: signedIn,
		Summary: "Change the password; every other session ends.", Body: passwordRequest{}, Status: http.StatusNoContent, handle: s.changePassword})
}

type registerRequest struct {
	Handle      string `json:"handle"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name,omitempty"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var req registerRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u, err := s.Accounts.Register(r.Context(), account.NewUser{Handle: req.Handle, Password: req.Password, DisplayName: req.DisplayName})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/me")
	writeJSON(w, http.StatusCreated, u)
	return nil
}

type loginRequest struct {
	Handle   string `json:"handle"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string       `json:"token"`
	TokenType string       `json:"token_type"`
	ExpiresAt time.Time    `json:"expires_at"`
	User      account.User `json:"user"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	token, sess, err := s.Accounts.Login(r.Context(), account.LoginRequest{
		Handle: req.Handle, Password: req.Password, Client: s.clientAddr(r), UserAgent: r.UserAgent(),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, loginResponse{Token: token, TokenType: "Bearer", ExpiresAt: sess.ExpiresAt, User: sess.User})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	sess, _ := s.session(r)
	if err := s.Accounts.Logout(r.Context(), sess); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) logoutAll(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Accounts.LogoutEverywhere(r.Context(), s.user(r).ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type meResponse struct {
	account.User
	// Verified holds approved, unexpired attributes only: what policies see.
	Verified map[string]any `json:"verified"`
	// Claims are the caller's claims with their review status.
	Claims []account.Verification `json:"claims"`
	// CreditScore is what policies read as user.credit_score; null until
	// the user has one.
	CreditScore *credit.Score `json:"credit_score"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	sess, _ := s.session(r)
	claims := sess.ClaimsNow()
	writeJSON(w, http.StatusOK, meResponse{User: sess.User, Verified: account.VerifiedOf(claims), Claims: claims, CreditScore: sess.Credit})
	return nil
}

type profileRequest struct {
	DisplayName *string `json:"display_name"`
}

func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) error {
	var req profileRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.DisplayName == nil {
		return errs.Field("display_name", "Send the new display_name; it is the only field of the profile that can be changed.")
	}
	sess, _ := s.session(r)
	u, err := s.Accounts.SetDisplayName(r.Context(), sess.User.ID, *req.DisplayName)
	if err != nil {
		return err
	}
	claims := sess.ClaimsNow()
	writeJSON(w, http.StatusOK, meResponse{User: u, Verified: account.VerifiedOf(claims), Claims: claims, CreditScore: sess.Credit})
	return nil
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req passwordRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	sess, _ := s.session(r)
	if err := s.Accounts.ChangePassword(r.Context(), sess, req.CurrentPassword, req.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
